using BenchmarkDotNet.Attributes;
using Functional.WebRtc.Core.Rtp;
using LanguageExt;

namespace Functional.WebRtc.Benchmarks;

/// <summary>RTP over spans (the hot path: goal zero allocations) and RTCP compound SR+SDES.</summary>
[MemoryDiagnoser]
public class RtpBenchmarks
{
    private readonly byte[] _payload = new byte[1200];
    private readonly byte[] _packet = new byte[1400];
    private readonly byte[] _scratch = new byte[1400];
    private int _packetLength;
    private byte[] _rtcp = [];
    private Seq<RtcpPacket> _compound;

    [GlobalSetup]
    public void Setup()
    {
        new Functional.WebRtc.Core.Entropy(7).Fill(_payload);
        _packetLength = WriteRtp();
        Array.Copy(_scratch, _packet, _packetLength);
        _compound = Seq.create<RtcpPacket>(
            new SenderReport(0x11223344, 0xE000000080000000, 90000, 100, 120000,
                Seq.create(new ReceptionReport(0x55667788, 10, 3, 70000, 20, 0xABCD1234, 0x10000))),
            SourceDescription.Cname(0x11223344, "f6sPZ2ZbnLqkvyoI"));
        _rtcp = RtcpCompound.ToBytes(_compound).IfLeft(_ => throw new Exception());
    }

    [Benchmark(Description = "RTP write 1200 B + abs-send-time + transport-cc (span)")]
    public int WriteRtp()
    {
        var w = new RtpWriter(_scratch);
        w.WriteHeader(new RtpHeader(true, 96, 1234, 567890, 0xCAFEBABE));
        w.AddAbsSendTime(3, 0x123456);
        w.AddTransportSequenceNumber(5, 4321);
        w.WritePayload(_payload);
        return w.Length;
    }

    [Benchmark(Description = "RTP parse + read both extensions (span view)")]
    public int ParseRtp()
    {
        RtpPacketView.TryParse(_packet.AsSpan(0, _packetLength), out var v, out _);
        v.TryGetAbsSendTime(3, out var abs);
        v.TryGetTransportSequenceNumber(5, out var seq);
        return v.Payload.Length + (int)abs + seq;
    }

    [Benchmark(Description = "RTP parse to RtpPacket record")]
    public RtpPacket ParseRtpRecord() => RtpPacket.Parse(_packet.AsSpan(0, _packetLength)).IfLeft(_ => null!);

    [Benchmark(Description = "RTCP SR+SDES walk headers (span reader)")]
    public int WalkRtcp()
    {
        var r = new RtcpReader(_rtcp);
        var n = 0;
        while (r.MoveNext()) n += r.Current.Body.Length;
        return n;
    }

    [Benchmark(Description = "RTCP SR+SDES parse to records")]
    public int ParseRtcp() => RtcpCompound.Parse(_rtcp).Map(p => p.Count).IfLeft(0);

    [Benchmark(Description = "RTCP SR+SDES write into a span")]
    public int WriteRtcp()
    {
        RtcpCompound.TryWrite(_compound, _scratch, out var n, out _);
        return n;
    }
}
