using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Text;
using Functional.WebRtc.Core.Rtp;
using Functional.WebRtc.Core.Sctp;
using Functional.WebRtc.Tests.Sctp;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Functional.WebRtc.Tests.Connection;

/// <summary>
/// A hostile but authenticated peer, end to end: two of our PeerConnections on 127.0.0.1, one of them (the attacker)
/// sending malformed SCTP through its own DTLS association, or malformed RTCP through its own SRTCP context, while real
/// traffic flows. The victim must not throw out of its loop or its socket receive loop (no error logged, and a throw
/// there would end the loop or leave the connection deaf), must stay connected, and must deliver every real message
/// intact and in order, or carry on with media, and still answer API calls afterwards.
/// </summary>
[Collection(HostilePeerCollection.Name)]
public class HostilePeerLoopbackTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task MalformedSctpInsideDtlsNeitherCrashesHangsNorCorruptsTheVictim()
    {
        var logs = new ErrorLog();
        await using var pair = new LoopbackPair(configuration: new Configuration { LoggerFactory = logs });
        var attacker = pair.Offerer;
        var victim = pair.Answerer;
        pair.WatchIncoming();
        var attackerChat = attacker.CreateDataChannel("chat");
        await pair.ConnectAsync(Limit);
        var victimChat = await pair.IncomingAsync(victim, "chat");
        await LoopbackPair.WaitForAsync(() => attackerChat.ReadyState == DataChannelReadyState.Open && victimChat.ReadyState == DataChannelReadyState.Open,
            Limit, "chat open on both sides");
        var atVictim = new Inbox(victimChat);
        var atAttacker = new Inbox(attackerChat);

        var association = attacker.Channels.Association;
        var target = new HostileTarget(association.Config.RemotePort, association.PeerVerificationTag, HostileSctp.InitialTsn(association),
            () => HostileSctp.CumulativeTsn(attacker.Channels.Association));
        var random = new Random(20261121);
        var sentByAttacker = new List<string>();
        var sentByVictim = new List<string>();
        var perKind = new int[HostileSctp.All.Length];
        const int Packets = 4000;
        var started = DateTime.UtcNow;
        for (var i = 0; i < Packets && DateTime.UtcNow - started < TimeSpan.FromSeconds(8); i++)
        {
            var kind = HostileSctp.All[i % HostileSctp.All.Length];
            Assert.True(attacker.SendRawDtlsApplicationData(HostileSctp.Make(kind, random, target)), "the attacker's DTLS refused a record");
            perKind[(int)kind]++;
            if (i % 40 == 0)
            {
                var a = $"attacker-{i}-" + new string('x', i % 500);
                var v = $"victim-{i}-" + new string('y', i % 700);
                attackerChat.Send(a); sentByAttacker.Add(a);
                victimChat.Send(v); sentByVictim.Add(v);
            }
            if (i % 50 == 0) await Task.Delay(1); // a few seconds of it, without overrunning the loopback's socket buffers
        }
        var sent = perKind.Sum();

        // Every real message, intact and in order, both ways.
        var gotAtVictim = sentByAttacker.Select(_ => atVictim.Take()).Select(m => m.Text).ToList();
        var gotAtAttacker = sentByVictim.Select(_ => atAttacker.Take()).Select(m => m.Text).ToList();
        Assert.Equal(sentByAttacker, gotAtVictim);
        Assert.Equal(sentByVictim, gotAtAttacker);

        // Still connected, still established, and the victim still answers API calls: a new channel opens and carries a message.
        Assert.Equal(PeerConnectionState.Connected, victim.ConnectionState);
        Assert.Equal(SctpState.Established, victim.Channels.Association.State);
        Assert.Equal(DataChannelReadyState.Open, victimChat.ReadyState);
        var (fresh, freshRemote) = await pair.OpenChannelAsync("after", victim);
        var freshInbox = new Inbox(freshRemote);
        fresh.Send("still alive");
        Assert.Equal("still alive", freshInbox.Take().Text);
        var stats = await victim.GetStatsAsync();
        Assert.NotNull(stats);
        Assert.Empty(logs.Errors);
        output.WriteLine($"{sent} malformed SCTP packets in {(DateTime.UtcNow - started).TotalSeconds:F1} s " +
                         $"({string.Join(", ", HostileSctp.All.Select(k => $"{k} {perKind[(int)k]}"))}); " +
                         $"{sentByAttacker.Count}+{sentByVictim.Count} real messages intact; victim SCTP {victim.Channels.Association.State}, cwnd {victim.Channels.Association.CongestionWindow}");
    }

    /// <summary>
    /// A valid ABORT through the attacker's DTLS is the one way to end the association from inside: the victim closes its
    /// channels cleanly (Closed, not hung in Closing), logs no error, stays Connected (DTLS and ICE are untouched), still
    /// answers API calls, and closes without hanging.
    /// </summary>
    [Fact]
    public async Task AValidAbortInsideDtlsClosesTheVictimsChannelsCleanly()
    {
        var logs = new ErrorLog();
        var pair = new LoopbackPair(configuration: new Configuration { LoggerFactory = logs });
        var attacker = pair.Offerer;
        var victim = pair.Answerer;
        pair.WatchIncoming();
        var attackerChat = attacker.CreateDataChannel("chat");
        await pair.ConnectAsync(Limit);
        var victimChat = await pair.IncomingAsync(victim, "chat");
        await LoopbackPair.WaitForAsync(() => victimChat.ReadyState == DataChannelReadyState.Open, Limit, "chat open");
        var association = attacker.Channels.Association;
        var abort = new byte[SctpPacket.HeaderLength + 4];
        SctpPacket.WriteHeader(abort, association.Config.RemotePort, association.Config.RemotePort, association.PeerVerificationTag);
        HostileSctp.Chunk(ChunkType.Abort, 0, []).CopyTo(abort, SctpPacket.HeaderLength);
        SctpPacket.Seal(abort, zeroChecksum: false);
        Assert.True(attacker.SendRawDtlsApplicationData(abort));
        await LoopbackPair.WaitForAsync(() => victimChat.ReadyState == DataChannelReadyState.Closed, Limit, () => $"victim chat closed ({victimChat.ReadyState})");
        Assert.Equal(SctpState.Closed, victim.Channels.Association.State);
        Assert.Throws<InvalidStateException>(() => victimChat.Send("after abort"));
        Assert.Equal(PeerConnectionState.Connected, victim.ConnectionState);
        Assert.NotNull(await victim.GetStatsAsync());
        await pair.DisposeAsync().AsTask().WaitAsync(Limit);
        Assert.Empty(logs.Errors);
    }

    /// <summary>Malformed RTCP compounds (every packet type, lengths and counts past the end, absurd feedback) aimed at the victim's sender.</summary>
    private static byte[] HostileRtcp(Random r, uint victimSsrc, int i)
    {
        var ssrc = r.Next(3) == 0 ? (uint)r.Next() : victimSsrc;
        byte[] Header(int count, int pt, int words, int total)
        {
            var b = new byte[total];
            b[0] = (byte)(0x80 | (count & 31));
            b[1] = (byte)pt;
            BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(2), (ushort)words);
            BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(4), (uint)r.Next());
            return b;
        }
        switch (i % 12)
        {
            case 0: // random body, any RTCP packet type and count, length field random
            {
                var b = Header(r.Next(32), r.Next(192, 224), r.Next(65536), 8 + 4 * r.Next(0, 60));
                r.NextBytes(b.AsSpan(8));
                return b;
            }
            case 1: // a length past the end of the compound
                return Header(0, 201, r.Next(2, 65536), 8);
            case 2: // RR / SR: a consistent count of report blocks (or 31 declared, one present) with absurd loss, jitter, LSR/DLSR
            {
                var sr = r.Next(2) == 0;
                var truncated = r.Next(4) == 0;
                var blocks = truncated ? 1 : r.Next(0, 32);
                var fixedWords = sr ? 6 : 1;
                var b = Header(truncated ? 31 : blocks, sr ? 200 : 201, fixedWords + 6 * blocks, 8 + 4 * (fixedWords - 1) + 24 * blocks);
                r.NextBytes(b.AsSpan(8));
                for (var k = 0; k < blocks; k++)
                    BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(8 + 4 * (fixedWords - 1) + 24 * k), r.Next(2) == 0 ? ssrc : (uint)r.Next());
                return b;
            }
            case 3: // generic NACK with 1000 FCIs of random PIDs and bitmasks for the victim's SSRC
            {
                var n = r.Next(1, 1000);
                var b = Header(1, 205, 2 + n, 12 + 4 * n);
                BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(8), ssrc);
                r.NextBytes(b.AsSpan(12));
                return b;
            }
            case 4: // transport-cc feedback, well formed: random base, absurd reference time and deltas, up to 8000 statuses
            {
                var count = r.Next(1, 8000);
                var chunks = new List<ushort>();
                var deltaBytes = new List<byte>();
                for (var left = count; left > 0;)
                {
                    var run = Math.Min(left, r.Next(1, 8192));
                    var symbol = r.Next(3); // not received, small delta, large delta
                    if (symbol != 0) run = Math.Min(run, 200); // keep the deltas within a datagram
                    chunks.Add((ushort)((symbol << 13) | run));
                    for (var k = 0; k < run && symbol != 0; k++)
                        for (var d = 0; d < symbol; d++) deltaBytes.Add((byte)r.Next(256));
                    left -= run;
                }
                var body = 8 + 2 * chunks.Count + deltaBytes.Count;
                var total = 12 + body;
                total = (total + 3) & ~3;
                var b = Header(15, 205, total / 4 - 1, total);
                BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(8), ssrc);
                BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(12), (ushort)r.Next());
                BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(14), (ushort)count);
                b[16] = (byte)r.Next(256); b[17] = (byte)r.Next(256); b[18] = (byte)r.Next(256); b[19] = (byte)r.Next(256);
                for (var k = 0; k < chunks.Count; k++) BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(20 + 2 * k), chunks[k]);
                deltaBytes.CopyTo(b, 20 + 2 * chunks.Count);
                return b;
            }
            case 5: // REMB, well formed: exponent up to 63 with the largest mantissa (2^81 bits/s), one to 255 SSRCs
            {
                var n = r.Next(1, 256);
                var b = Header(15, 206, 4 + n, 20 + 4 * n);
                BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(8), 0);
                "REMB"u8.CopyTo(b.AsSpan(12));
                b[16] = (byte)n;
                b[17] = (byte)((r.Next(2) == 0 ? 63 : r.Next(64)) << 2 | 3); b[18] = 0xFF; b[19] = 0xFF;
                for (var k = 0; k < n; k++) BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(20 + 4 * k), k == 0 ? ssrc : (uint)r.Next());
                return b;
            }
            case 6: // PLI / FIR for the victim with odd lengths (FIR with no entries or a half entry)
            {
                var fir = r.Next(2) == 0;
                var b = Header(fir ? 4 : 1, 206, fir ? r.Next(2, 4) : 2, fir ? 4 * (r.Next(2, 4) + 1) : 12);
                BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(8), ssrc);
                if (b.Length > 12) r.NextBytes(b.AsSpan(12));
                return b;
            }
            case 7: // SDES, well formed, with a CNAME of invalid UTF-8 and unknown item types
            {
                var b = Header(1, 202, 4, 20);
                BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(4), (uint)r.Next());
                b[8] = 1; b[9] = 3; b[10] = 0xC3; b[11] = 0x28; b[12] = 0xFF;
                b[13] = (byte)r.Next(9, 256); b[14] = 1; b[15] = 0x80; // an item type no one defined
                return b;
            }
            case 8: // BYE, well formed, for up to 31 sources (the victim's own sender among them) with an invalid UTF-8 reason
            {
                var n = r.Next(1, 32);
                var b = Header(n, 203, n + 1, 8 + 4 * n);
                for (var k = 0; k < n; k++) BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(4 + 4 * k), k == 0 ? ssrc : (uint)r.Next());
                b[4 + 4 * n] = 3; b[5 + 4 * n] = 0xC3; b[6 + 4 * n] = 0x28; b[7 + 4 * n] = 0xFF;
                return b;
            }
            case 9: // a valid RR then garbage in the same compound
            {
                var b = Header(0, 201, 1, 8 + 8 + r.Next(0, 40));
                r.NextBytes(b.AsSpan(8));
                b[8] = (byte)(0x80 | r.Next(32)); b[9] = (byte)r.Next(256);
                return b;
            }
            case 10: // padding bit with a padding count larger than the packet, zero-length packets
            {
                var b = Header(0, 201, 1, 8);
                b[0] |= 0x20;
                b[^1] = 255;
                return b;
            }
            default: // APP / XR with block lengths past the end
            {
                var xr = r.Next(2) == 0;
                var b = Header(r.Next(32), xr ? 207 : 204, 3, 16);
                r.NextBytes(b.AsSpan(8));
                if (xr) { b[8] = (byte)r.Next(1, 8); BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(10), 0xFFFF); }
                return b;
            }
        }
    }

    [Fact]
    public async Task MalformedRtcpInsideSrtcpNeitherCrashesNorSilencesTheVictim()
    {
        var logs = new ErrorLog();
        await using var pair = new LoopbackPair(configuration: new Configuration { LoggerFactory = logs });
        var victim = pair.Offerer;
        var attacker = pair.Answerer;
        var track = new TrackLocalStaticRtp(RtpCodecCapability.Vp8, "v", "s");
        var sender = victim.AddTrack(track);
        pair.WatchIncoming();
        var victimChat = victim.CreateDataChannel("chat");
        await pair.ConnectAsync(Limit);
        var attackerChat = await pair.IncomingAsync(attacker, "chat");
        await LoopbackPair.WaitForAsync(() => sender.CanSend && victimChat.ReadyState == DataChannelReadyState.Open, Limit, "sender and channel ready");
        var ontrack = new TaskCompletionSource<TrackRemote>(TaskCreationOptions.RunContinuationsAsynchronously);
        attacker.OnTrack += (t, _) => ontrack.TrySetResult(t);
        ushort seq = 1;
        track.WriteRtp(Packet(seq++));
        var remote = await ontrack.Task.WaitAsync(Limit);

        var random = new Random(77);
        var acceptedBefore = victim.SrtcpAccepted;
        const int Compounds = 3000;
        var sent = 0;
        var parsed = 0; // how many reach the media layer's handlers (the rest the compound parser refuses)
        var parsedByCase = new int[12];
        var started = DateTime.UtcNow;
        for (var i = 0; i < Compounds && DateTime.UtcNow - started < TimeSpan.FromSeconds(8); i++)
        {
            var compound = HostileRtcp(random, sender.Ssrc, i);
            var buffer = new byte[compound.Length + 64]; // room for the SRTCP index and tag
            compound.CopyTo(buffer, 0);
            if (RtcpCompound.Parse(compound).IsRight) { parsed++; parsedByCase[i % 12]++; }
            if (attacker.SendSrtp(buffer, compound.Length, rtcp: true)) sent++;
            if (i % 30 == 0) track.WriteRtp(Packet(seq++)); // media keeps flowing meanwhile (NACKs may make it resend some)
            if (i % 50 == 0) await Task.Delay(1);
        }
        Assert.True(sent > Compounds * 9 / 10, $"only {sent} compounds were protected and sent");
        // The victim's socket receive loop still runs: it authenticated (nearly) all of them, and media and data still flow.
        await LoopbackPair.WaitForAsync(() => victim.SrtcpAccepted - acceptedBefore >= sent * 9 / 10, Limit,
            () => $"SRTCP accepted by the victim ({victim.SrtcpAccepted - acceptedBefore} of {sent})");
        var last = seq;
        for (var i = 0; i < 10; i++) track.WriteRtp(Packet(seq++));
        var buf = new byte[1500];
        using var cancel = new CancellationTokenSource(Limit);
        ushort got;
        do
        {
            var n = await remote.ReadRtpAsync(buf, cancel.Token);
            Assert.True(RtpPacketView.TryParse(buf.AsSpan(0, n), out var view, out _));
            Assert.Equal(Packet(view.SequenceNumber).AsSpan(12).ToArray(), view.Payload.ToArray());
            got = view.SequenceNumber;
        } while (got != (ushort)(seq - 1));
        var atVictim = new Inbox(victimChat);
        attackerChat.Send("ping");
        Assert.Equal("ping", atVictim.Take().Text);
        Assert.Equal(PeerConnectionState.Connected, victim.ConnectionState);
        Assert.NotNull(await victim.GetStatsAsync());
        Assert.Empty(logs.Errors);
        output.WriteLine($"{sent} malformed SRTCP compounds in {(DateTime.UtcNow - started).TotalSeconds:F1} s, " +
                         $"{victim.SrtcpAccepted - acceptedBefore} authenticated by the victim, {parsed} of them parse as RTCP (reach the handlers: by case [{string.Join(",", parsedByCase)}]); media up to seq {last}+10 and data still flow");
    }

    private static byte[] Packet(ushort seq)
    {
        var payload = new byte[100];
        payload[0] = 0x10;
        for (var i = 1; i < payload.Length; i++) payload[i] = (byte)(seq + i);
        return RtpPacket.Create(96, seq, seq * 3000u, 0x1234, payload, marker: true).ToBytes().IfLeft(_ => throw new InvalidOperationException());
    }

    /// <summary>A logger factory that keeps what is logged at Error or above (a throw caught by a loop is logged there).</summary>
    private sealed class ErrorLog : ILoggerFactory, ILogger
    {
        public ConcurrentQueue<string> Errors { get; } = new();
        public ILogger CreateLogger(string categoryName) => this;
        public void AddProvider(ILoggerProvider provider) { }
        public void Dispose() { }
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel >= LogLevel.Error) Errors.Enqueue(formatter(state, exception) + " " + exception);
        }
    }
}
