using System.Collections.Concurrent;
using System.Reflection;
using Functional.WebRtc.Core.Dtls;
using Functional.WebRtc.Core.Srtp;
using Functional.WebRtc.Transport.Dtls;

namespace Functional.WebRtc.Tests.Connection;

/// <summary>DTLS between two PeerConnections on 127.0.0.1: both roles, both SRTP profiles, a tampered fingerprint.</summary>
public class DtlsLoopbackTests
{
    internal static DtlsEndpoint? DtlsOf(PeerConnection pc) =>
        (DtlsEndpoint?)typeof(PeerConnection).GetField("_dtls", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(pc);

    [Theory(Timeout = 20_000)]
    [InlineData(AnsweringDtlsRole.Active, "active", DtlsRole.Server, DtlsRole.Client)]
    [InlineData(AnsweringDtlsRole.Passive, "passive", DtlsRole.Client, DtlsRole.Server)]
    public async Task BothDtlsRolesConnectAndCarryData(AnsweringDtlsRole answering, string answerSetup, DtlsRole offererRole, DtlsRole answererRole)
    {
        await using var pair = new LoopbackPair(answerer: new SettingEngine { AnsweringDtlsRole = answering });
        var (local, remote) = await IceLoopbackTests.ConnectWithChannel(pair);
        Assert.Contains("a=setup:actpass", pair.Offerer.LocalDescription!.Sdp);
        Assert.Contains($"a=setup:{answerSetup}", pair.Answerer.LocalDescription!.Sdp);
        Assert.Equal(offererRole, DtlsOf(pair.Offerer)!.Role);
        Assert.Equal(answererRole, DtlsOf(pair.Answerer)!.Role);
        var inbox = new Inbox(remote);
        var back = new Inbox(local);
        local.Send("to the answerer");
        Assert.Equal("to the answerer", inbox.Take().Text);
        remote.Send("to the offerer");
        Assert.Equal("to the offerer", back.Take().Text);
    }

    [Theory(Timeout = 20_000)]
    [InlineData(new[] { DtlsSrtpProfile.AeadAes128Gcm }, new[] { DtlsSrtpProfile.AeadAes128Gcm }, SrtpProtectionProfile.AeadAes128Gcm)]
    [InlineData(new[] { DtlsSrtpProfile.Aes128CmHmacSha1_80 }, new[] { DtlsSrtpProfile.Aes128CmHmacSha1_80 }, SrtpProtectionProfile.AesCm128HmacSha1_80)]
    [InlineData(new[] { DtlsSrtpProfile.AeadAes128Gcm, DtlsSrtpProfile.Aes128CmHmacSha1_80 }, new[] { DtlsSrtpProfile.Aes128CmHmacSha1_80 }, SrtpProtectionProfile.AesCm128HmacSha1_80)]
    public async Task TheNegotiatedSrtpProfileKeysBothSides(DtlsSrtpProfile[] offered, DtlsSrtpProfile[] answered, SrtpProtectionProfile expected)
    {
        var offerer = new SettingEngine { DtlsOptions = DtlsOptions.Default with { SrtpProfiles = offered } };
        var answerer = new SettingEngine { DtlsOptions = DtlsOptions.Default with { SrtpProfiles = answered } };
        await using var pair = new LoopbackPair(offerer, answerer);
        await IceLoopbackTests.ConnectWithChannel(pair);
        await LoopbackPair.WaitForAsync(() => pair.Offerer.Srtp is not null && pair.Answerer.Srtp is not null, TimeSpan.FromSeconds(5), "SRTP keys");
        Assert.Equal(expected, pair.Offerer.Srtp!.Profile);
        Assert.Equal(expected, pair.Answerer.Srtp!.Profile);

        // The keys match: an RTP packet the offerer protects, the answerer unprotects (and a tampered one it rejects).
        var rtp = new byte[12 + 100 + 32];
        rtp[0] = 0x80; rtp[1] = 96; rtp[3] = 1; rtp[11] = 0x42;
        for (var i = 12; i < 112; i++) rtp[i] = (byte)i;
        var plain = rtp[..112];
        Assert.Equal(SrtpResult.Ok, pair.Offerer.Srtp.ProtectRtp(rtp, 112, out var protectedLength));
        var tampered = rtp[..protectedLength];
        tampered[20] ^= 1;
        Assert.NotEqual(SrtpResult.Ok, pair.Answerer.Srtp.UnprotectRtp(tampered, tampered.Length, out _));
        Assert.Equal(SrtpResult.Ok, pair.Answerer.Srtp.UnprotectRtp(rtp, protectedLength, out var plainLength));
        Assert.Equal(plain, rtp[..plainLength]);
    }

    [Theory(Timeout = 20_000)]
    [InlineData(AnsweringDtlsRole.Active)]
    [InlineData(AnsweringDtlsRole.Passive)]
    public async Task ATamperedFingerprintFailsTheCheckingSideAndNeverConnects(AnsweringDtlsRole answering)
    {
        await using var pair = new LoopbackPair(answerer: new SettingEngine { AnsweringDtlsRole = answering });
        var offererStates = new ConcurrentQueue<PeerConnectionState>();
        var answererStates = new ConcurrentQueue<PeerConnectionState>();
        pair.Offerer.OnConnectionStateChange += offererStates.Enqueue;
        pair.Answerer.OnConnectionStateChange += answererStates.Enqueue;
        pair.Offerer.CreateDataChannel("x");
        var limit = TimeSpan.FromSeconds(10);
        await pair.Offerer.SetLocalDescriptionAsync(await pair.Offerer.CreateOfferAsync());
        await pair.Offerer.GatheringComplete.WaitAsync(limit);
        await pair.Answerer.SetRemoteDescriptionAsync(pair.Offerer.LocalDescription!);
        await pair.Answerer.SetLocalDescriptionAsync(await pair.Answerer.CreateAnswerAsync());
        await pair.Answerer.GatheringComplete.WaitAsync(limit);
        var answer = pair.Answerer.LocalDescription!;
        var tampered = answer with { Sdp = TamperFingerprint(answer.Sdp) };
        Assert.NotEqual(answer.Sdp, tampered.Sdp);
        await pair.Offerer.SetRemoteDescriptionAsync(tampered);

        await LoopbackPair.WaitForAsync(() => pair.Offerer.ConnectionState == PeerConnectionState.Failed, TimeSpan.FromSeconds(15),
            () => $"the offerer (which checks the tampered fingerprint) to fail: {string.Join(",", offererStates)}");
        await Task.Delay(300);
        Assert.DoesNotContain(PeerConnectionState.Connected, offererStates);
        Assert.DoesNotContain(PeerConnectionState.Connected, answererStates);
        Assert.NotEqual(PeerConnectionState.Connected, pair.Answerer.ConnectionState);
        Assert.Null(pair.Offerer.Srtp);
    }

    /// <summary>Flips one hex digit of the first a=fingerprint line's hash.</summary>
    internal static string TamperFingerprint(string sdp)
    {
        var lines = sdp.Split("\r\n");
        var i = Array.FindIndex(lines, l => l.StartsWith("a=fingerprint:"));
        var line = lines[i];
        var last = line[^1];
        lines[i] = line[..^1] + (last == '0' ? '1' : '0');
        return string.Join("\r\n", lines);
    }
}
