using Functional.WebRtc.Core.Sdp;
using LanguageExt;

namespace Functional.WebRtc.Tests.Sdp;

/// <summary>
/// Hand-written descriptions in the shapes other stacks write (not captured: no Firefox on this machine): Firefox's
/// session-level fingerprint and ICE options, rid/simulcast, extmap directions, an IPv6/mDNS/relay candidate mix, and the
/// legacy DTLS/SCTP + sctpmap data section of old Chrome.
/// </summary>
public class SdpSampleTests
{
    private const string FirefoxStyle =
        "v=0\r\n" +
        "o=mozilla...THIS_IS_SDPARTA-128.0 6547287436462437612 0 IN IP4 0.0.0.0\r\n" +
        "s=-\r\n" +
        "t=0 0\r\n" +
        "a=fingerprint:sha-256 3A:E6:52:F1:9D:2D:6E:FB:1C:08:0A:4C:A4:1B:A3:C2:38:44:57:8F:9E:50:94:2B:5A:1D:0E:3D:1F:70:6C:B3\r\n" +
        "a=group:BUNDLE 0 1 2\r\n" +
        "a=ice-options:trickle\r\n" +
        "a=msid-semantic:WMS *\r\n" +
        "m=audio 51093 UDP/TLS/RTP/SAVPF 109 9 0 8 101\r\n" +
        "c=IN IP6 2001:db8::5\r\n" +
        "a=candidate:0 1 UDP 2122252543 2001:db8::5 51093 typ host\r\n" +
        "a=candidate:1 1 UDP 2122187007 0c6bd4ba-2d18-4a16-8f3a-0d0f2d8b9a11.local 51094 typ host\r\n" +
        "a=candidate:2 1 TCP 2105524479 2001:db8::5 9 typ host tcptype active\r\n" +
        "a=candidate:3 1 UDP 8331263 192.0.2.3 3478 typ relay raddr 192.0.2.3 rport 3478\r\n" +
        "a=sendrecv\r\n" +
        "a=end-of-candidates\r\n" +
        "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n" +
        "a=extmap:2/recvonly urn:ietf:params:rtp-hdrext:csrc-audio-level\r\n" +
        "a=extmap:3 urn:ietf:params:rtp-hdrext:sdes:mid\r\n" +
        "a=fmtp:109 maxplaybackrate=48000;stereo=1;useinbandfec=1\r\n" +
        "a=fmtp:101 0-15\r\n" +
        "a=ice-pwd:e2b8a0f6f5b8a3c1d0e9f8a7b6c5d4e3\r\n" +
        "a=ice-ufrag:7f1c2d3e\r\n" +
        "a=mid:0\r\n" +
        "a=msid:{6e1b5a4c-9d2f-4f3a-8b7c-1a2b3c4d5e6f} {0f9e8d7c-6b5a-4c3d-2e1f-0a9b8c7d6e5f}\r\n" +
        "a=rtcp-mux\r\n" +
        "a=rtpmap:109 opus/48000/2\r\n" +
        "a=rtpmap:9 G722/8000/1\r\n" +
        "a=rtpmap:0 PCMU/8000\r\n" +
        "a=rtpmap:8 PCMA/8000\r\n" +
        "a=rtpmap:101 telephone-event/8000/1\r\n" +
        "a=setup:actpass\r\n" +
        "a=ssrc:3566946185 cname:{a1b2c3d4-e5f6-4a5b-8c9d-0e1f2a3b4c5d}\r\n" +
        "m=video 9 UDP/TLS/RTP/SAVPF 120 124 121 125\r\n" +
        "c=IN IP4 0.0.0.0\r\n" +
        "a=sendonly\r\n" +
        "a=extmap:3 urn:ietf:params:rtp-hdrext:sdes:mid\r\n" +
        "a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id\r\n" +
        "a=fmtp:120 max-fs=12288;max-fr=60\r\n" +
        "a=fmtp:124 apt=120\r\n" +
        "a=fmtp:121 max-fs=12288;max-fr=60\r\n" +
        "a=fmtp:125 apt=121\r\n" +
        "a=ice-pwd:e2b8a0f6f5b8a3c1d0e9f8a7b6c5d4e3\r\n" +
        "a=ice-ufrag:7f1c2d3e\r\n" +
        "a=mid:1\r\n" +
        "a=rid:hi send pt=120;max-width=1280;max-height=720\r\n" +
        "a=rid:lo send pt=120;max-width=320\r\n" +
        "a=simulcast:send hi;~lo\r\n" +
        "a=rtcp-fb:120 nack\r\n" +
        "a=rtcp-fb:120 nack pli\r\n" +
        "a=rtcp-fb:120 ccm fir\r\n" +
        "a=rtcp-fb:* transport-cc\r\n" +
        "a=rtcp-mux\r\n" +
        "a=rtcp-rsize\r\n" +
        "a=rtpmap:120 VP8/90000\r\n" +
        "a=rtpmap:124 rtx/90000\r\n" +
        "a=rtpmap:121 VP9/90000\r\n" +
        "a=rtpmap:125 rtx/90000\r\n" +
        "a=setup:actpass\r\n" +
        "a=ssrc-group:FID 1001 1002\r\n" +
        "a=ssrc:1001 cname:{a1b2c3d4-e5f6-4a5b-8c9d-0e1f2a3b4c5d}\r\n" +
        "a=ssrc:1002 cname:{a1b2c3d4-e5f6-4a5b-8c9d-0e1f2a3b4c5d}\r\n" +
        "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n" +
        "c=IN IP4 0.0.0.0\r\n" +
        "a=sendrecv\r\n" +
        "a=ice-pwd:e2b8a0f6f5b8a3c1d0e9f8a7b6c5d4e3\r\n" +
        "a=ice-ufrag:7f1c2d3e\r\n" +
        "a=mid:2\r\n" +
        "a=setup:actpass\r\n" +
        "a=sctp-port:5000\r\n" +
        "a=max-message-size:1073741823\r\n";

    private const string LegacyChromeData =
        "v=0\n" +
        "o=- 4236781233487123 2 IN IP4 127.0.0.1\n" +
        "s=-\n" +
        "t=0 0\n" +
        "a=group:BUNDLE data\n" +
        "a=msid-semantic: WMS\n" +
        "m=application 9 DTLS/SCTP 5000\n" +
        "c=IN IP4 0.0.0.0\n" +
        "a=ice-ufrag:Lp1q\n" +
        "a=ice-pwd:0123456789abcdefghijklmn\n" +
        "a=fingerprint:sha-1 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33\n" +
        "a=setup:actpass\n" +
        "a=mid:data\n" +
        "a=sctpmap:5000 webrtc-datachannel 1024\n";

    private static SdpDescription Parse(string text) =>
        SdpParser.Parse(text).Match(d => d, e => throw new Xunit.Sdk.XunitException(e.ToString()));

    [Fact]
    public void FirefoxStyleOffer()
    {
        var d = Parse(FirefoxStyle);
        Assert.True(d.Validate().IsRight);
        Assert.Equal(FirefoxStyle, d.ToString());
        Assert.Equal("mozilla...THIS_IS_SDPARTA-128.0", d.Origin.Username);
        Assert.Equal(new[] { "trickle" }, d.IceOptions().ToArray());
        var audio = d.Media[0];
        // The fingerprint is at session level only: the effective one for each section comes from there.
        Assert.Empty(audio.Fingerprints());
        Assert.Equal("sha-256", d.EffectiveFingerprints(audio).Single().Algorithm);
        Assert.Equal(ConnectionData.Ip6("2001:db8::5"), audio.Connection);

        var candidates = audio.Candidates();
        Assert.Equal(4, candidates.Count);
        Assert.Equal("2001:db8::5", candidates[0].Address);
        Assert.True(candidates[1].IsMdns);
        Assert.Equal(CandidateTcpType.Active, candidates[2].TcpType);
        Assert.Equal(CandidateType.Relay, candidates[3].Type);
        Assert.Equal(3478, candidates[3].RelatedPort);
        Assert.True(audio.HasEndOfCandidates());

        Assert.Equal(SdpDirection.RecvOnly, audio.ExtMaps()[1].Direction);
        Assert.Equal("1", audio.FmtpFor(109).Bind(f => f.Get("stereo")));
        Assert.Equal(new RtpMap(9, "G722", 8000, 1), audio.RtpMapFor(9));
        Assert.Equal("{6e1b5a4c-9d2f-4f3a-8b7c-1a2b3c4d5e6f}", audio.Msids().Single().StreamId);

        var video = d.Media[1];
        Assert.Equal(SdpDirection.SendOnly, video.Direction());
        Assert.Equal(new[] { "hi", "lo" }, video.Rids().Map(r => r.Id).ToArray());
        Assert.Equal(new[] { 120 }, video.Rids()[0].PayloadTypes.ToArray());
        var sim = video.GetSimulcast().IfNone(() => throw new Xunit.Sdk.XunitException("no simulcast"));
        Assert.Equal(new[] { "hi", "lo" }, sim.Send.Map(s => s[0].Id).ToArray());
        Assert.True(sim.Send[1][0].Paused);
        Assert.Equal(4, video.RtcpFeedbacksFor(120).Count); // three for 120 and the wildcard
        Assert.Equal(1, video.RtcpFeedbacksFor(121).Count);
        Assert.Equal(new SsrcGroup("FID", 1001u, 1002u), video.SsrcGroups().Single());

        Assert.Equal(1073741823UL, d.Media[2].MaxMessageSize());
        Assert.Equal(("7f1c2d3e", "e2b8a0f6f5b8a3c1d0e9f8a7b6c5d4e3"), d.IceCredentials(d.Media[2]));
    }

    [Fact]
    public void LegacyChromeDataSection()
    {
        var d = Parse(LegacyChromeData);
        var m = d.Media.Single();
        Assert.Equal("DTLS/SCTP", m.Protocol);
        Assert.Equal(new SctpMap(5000, "webrtc-datachannel", 1024), m.GetSctpMap());
        Assert.True(m.SctpPort().IsNone);
        Assert.Equal("sha-1", m.Fingerprints().Single().Algorithm);
        Assert.Equal(new SdpGroup("BUNDLE", "data"), d.BundleGroup());
        Assert.Equal(LegacyChromeData.Replace("\n", "\r\n"), d.ToString());
    }

    [Fact]
    public void JsepStyleConstruction()
    {
        // What an offer builder does: start from a template, add sections, set attributes, flip a direction.
        var audio = MediaDescription.Create("audio", 9, "UDP/TLS/RTP/SAVPF", new[] { 111, 0 }) with { Connection = ConnectionData.Unspecified };
        audio = audio
            .WithMid("0")
            .WithIceCredentials("ufrg", "passwordpasswordpassword")
            .WithFingerprint(new Fingerprint("sha-256", new byte[32]))
            .WithSetup(SdpSetup.ActPass)
            .WithDirection(SdpDirection.SendRecv)
            .WithAttribute(new RtpMap(111, "opus", 48000, 2).ToAttribute())
            .WithAttribute(Fmtp.Create(111, ("minptime", "10"), ("useinbandfec", "1")).ToAttribute())
            .WithAttribute(RtcpFeedback.For(111, "transport-cc").ToAttribute())
            .WithAttribute(new RtpMap(0, "PCMU", 8000).ToAttribute())
            .WithAttribute(SdpAttributeNames.RtcpMux);
        var offer = new SdpDescription { Origin = Origin.Create(123456789, 2) }
            .WithGroup(new SdpGroup(SdpGroup.Bundle, "0"))
            .WithAttribute(new MsidSemantic("WMS", Arr<string>.Empty).ToAttribute())
            .WithMedia(audio);
        var text = offer.ToString();
        Assert.Contains("m=audio 9 UDP/TLS/RTP/SAVPF 111 0\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\n", text);
        Assert.Contains("a=fmtp:111 minptime=10;useinbandfec=1\r\n", text);
        var parsed = Parse(text);
        Assert.Equal(offer, parsed);
        Assert.True(parsed.Validate().IsRight);
        var answerSide = parsed.MapMedia(m => m.WithDirection(m.Direction().IfNone(SdpDirection.SendRecv).Reverse()).WithSetup(SdpSetup.Active));
        Assert.Equal(SdpSetup.Active, answerSide.Media[0].Setup());
        Assert.Equal(parsed.Media[0].Attributes.Count, answerSide.Media[0].Attributes.Count);
        Assert.Equal("m=audio 9 UDP/TLS/RTP/SAVPF 111 0\r\n", audio.ToString()[..35]);
    }
}
