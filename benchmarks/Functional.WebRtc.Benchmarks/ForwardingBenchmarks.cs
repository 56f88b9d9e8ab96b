using System.Buffers.Binary;
using System.Collections.Concurrent;
using BenchmarkDotNet.Attributes;
using Functional.WebRtc.Core.Rtp;
using Functional.WebRtc.Core.Srtp;
using Functional.WebRtc.Transport;

namespace Functional.WebRtc.Benchmarks;

/// <summary>
/// The per-packet work of an SFU forwarding one 1200-byte SRTP packet from a publisher to a subscriber, in memory, with
/// the stack's own types: SRTP unprotect with the publisher's keys (<see cref="SrtpContext"/>), route by SSRC through
/// the same lookups the shell does on receive (repair SSRCs, then streams, both ConcurrentDictionary), rewrite SSRC,
/// payload type, sequence number and timestamp for the outgoing stream (<see cref="RtpRewrite"/>), SRTP protect with
/// the subscriber's keys. The packet carries the header extensions a browser sends (sdes:mid, abs-send-time,
/// transport-cc), so the header is 28 octets and the payload 1172. Contexts use the shell's SRTP options
/// (<see cref="LibCryptoSrtp.Options"/>: libcrypto's SHA-1 directly for the AES-CM profiles when available), as PeerTransport does.
/// <para>
/// Unprotect needs a fresh packet each time (the replay window refuses repeats), so every operation first makes one:
/// <see cref="PublisherProtect"/> (the baseline) is that step alone, and the forward costs
/// <c>PublisherProtectThenForward - PublisherProtect</c>. <see cref="ForwardWithShellCopies"/> adds what the shell's
/// receive and send paths copy per packet (the received datagram into an array the track queue keeps, the packet into
/// a pooled send buffer and into the NACK history).
/// </para>
/// </summary>
[MemoryDiagnoser]
public class ForwardingBenchmarks
{
    public const int PacketLength = 1200;
    private const uint PublisherSsrc = 0x1234_5678, SubscriberSsrc = 0x9ABC_DEF0;

    private SrtpContext _publisher = null!, _sfuInbound = null!, _sfuOutbound = null!, _subscriber = null!;
    private readonly byte[] _plain = new byte[PacketLength];
    private readonly byte[] _buffer = new byte[PacketLength + 64];
    private readonly byte[] _history = new byte[PacketLength + 64];
    private readonly ConcurrentDictionary<uint, uint> _repairs = new();
    private readonly ConcurrentDictionary<uint, Route> _routes = new();
    private ushort _seq;
    private int _protectedLength;

    /// <summary>An incoming stream and where its packets go.</summary>
    private sealed class Route(RtpRewrite rewrite)
    {
        public readonly RtpRewrite Rewrite = rewrite;
        public long Forwarded;
    }

    [Params(SrtpProtectionProfile.AesCm128HmacSha1_80, SrtpProtectionProfile.AeadAes128Gcm)]
    public SrtpProtectionProfile Profile { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var p = Profile.Parameters();
        var entropy = new Core.Entropy(11);
        byte[] Bytes(int n) { var b = new byte[n]; entropy = entropy.Fill(b); return b; }
        var (publisherKey, publisherSalt, subscriberKey, subscriberSalt) =
            (Bytes(p.MasterKeyLength), Bytes(p.MasterSaltLength), Bytes(p.MasterKeyLength), Bytes(p.MasterSaltLength));
        _publisher = SrtpContext.Create(Profile, publisherKey, publisherSalt, LibCryptoSrtp.Options());
        _sfuInbound = SrtpContext.Create(Profile, publisherKey, publisherSalt, LibCryptoSrtp.Options());
        _sfuOutbound = SrtpContext.Create(Profile, subscriberKey, subscriberSalt, LibCryptoSrtp.Options());
        _subscriber = SrtpContext.Create(Profile, subscriberKey, subscriberSalt, LibCryptoSrtp.Options());

        var payload = Bytes(PacketLength - 28);
        var w = new RtpWriter(_plain);
        w.WriteHeader(new RtpHeader(false, 96, 0, 3000, PublisherSsrc));
        w.AddString(1, "0");
        w.AddAbsSendTime(2, 0x123456);
        w.AddTransportSequenceNumber(3, 1);
        w.WritePayload(payload);
        if (w.Failed || w.Length != PacketLength) throw new InvalidOperationException($"test packet is {w.Length} octets");
        _routes[PublisherSsrc] = new Route(new RtpRewrite(SubscriberSsrc, 102, SequenceOffset: 1000, TimestampOffset: 90_000));

        // Check once that what is forwarded is what the subscriber should get.
        for (var i = 0; i < 3; i++)
        {
            var n = PublisherProtectThenForward();
            if (_subscriber.UnprotectRtp(_buffer, n, out var m) != SrtpResult.Ok || m != PacketLength)
                throw new InvalidOperationException("the subscriber cannot unprotect the forwarded packet");
            if (!RtpPacketView.TryParse(_buffer.AsSpan(0, m), out var view, out _) || view.Ssrc != SubscriberSsrc || view.PayloadType != 102 ||
                view.SequenceNumber != (ushort)(_seq - 1 + 1000) || view.Timestamp != 93_000 || !view.Payload.SequenceEqual(payload))
                throw new InvalidOperationException("the forwarded packet is not rewritten as asked");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _publisher.Dispose();
        _sfuInbound.Dispose();
        _sfuOutbound.Dispose();
        _subscriber.Dispose();
    }

    /// <summary>What arrives at the SFU: the publisher protects the next packet into the receive buffer.</summary>
    [Benchmark(Baseline = true)]
    public int PublisherProtect()
    {
        _plain.CopyTo(_buffer, 0);
        BinaryPrimitives.WriteUInt16BigEndian(_buffer.AsSpan(2), _seq++);
        _publisher.ProtectRtp(_buffer, PacketLength, out _protectedLength);
        return _protectedLength;
    }

    /// <summary>The publisher's packet, then the whole forward in place: unprotect, route, rewrite, protect.</summary>
    [Benchmark]
    public int PublisherProtectThenForward()
    {
        PublisherProtect();
        return Forward(_buffer, _protectedLength);
    }

    /// <summary>As <see cref="PublisherProtectThenForward"/> plus the copies the shell makes today (see the class comment).</summary>
    [Benchmark]
    public int ForwardWithShellCopies()
    {
        PublisherProtect();
        var received = _buffer.AsSpan(0, _protectedLength).ToArray(); // the receive path's copy, kept by the track queue
        if (_sfuInbound.UnprotectRtp(received, received.Length, out var n) != SrtpResult.Ok) return 0;
        if (!TryRoute(received, out var route)) return 0;
        var send = System.Buffers.ArrayPool<byte>.Shared.Rent(n + 64);
        try
        {
            received.AsSpan(0, n).CopyTo(send);
            route.Rewrite.Apply(send.AsSpan(0, n));
            send.AsSpan(0, n).CopyTo(_history);
            return _sfuOutbound.ProtectRtp(send, n, out var sent) == SrtpResult.Ok ? sent : 0;
        }
        finally { System.Buffers.ArrayPool<byte>.Shared.Return(send); }
    }

    /// <summary>Unprotect, route, rewrite and protect the SRTP packet in buffer[..length) in place; the length to send, 0 when dropped.</summary>
    private int Forward(byte[] buffer, int length)
    {
        if (_sfuInbound.UnprotectRtp(buffer, length, out var n) != SrtpResult.Ok) return 0;
        if (!TryRoute(buffer, out var route)) return 0;
        route.Rewrite.Apply(buffer.AsSpan(0, n));
        route.Forwarded++;
        return _sfuOutbound.ProtectRtp(buffer, n, out var sent) == SrtpResult.Ok ? sent : 0;
    }

    /// <summary>As the shell's receive path: a repair (RTX) SSRC first, then the stream of the SSRC.</summary>
    private bool TryRoute(ReadOnlySpan<byte> packet, out Route route)
    {
        var ssrc = BinaryPrimitives.ReadUInt32BigEndian(packet[8..]);
        if (_repairs.TryGetValue(ssrc, out var primary)) ssrc = primary;
        return _routes.TryGetValue(ssrc, out route!);
    }
}
