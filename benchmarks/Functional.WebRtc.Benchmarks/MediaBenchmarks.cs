using Functional.WebRtc.Core;
using BenchmarkDotNet.Attributes;
using Functional.WebRtc.Core.Media;
using Functional.WebRtc.Core.Rtp;
using LanguageExt;

namespace Functional.WebRtc.Benchmarks;

/// <summary>Packetize and depacketize one frame per codec (VP8 10 kB, H.264 10 kB IDR + SPS/PPS, Opus 120 B).</summary>
[MemoryDiagnoser]
public class MediaBenchmarks
{
    private byte[] _vp8 = [];
    private byte[] _h264 = [];
    private byte[] _opus = [];
    private Seq<Bytes> _vp8Payloads;
    private Seq<Bytes> _h264Payloads;
    private Seq<Bytes> _opusPayloads;
    private readonly Vp8Payloader _vp8Payloader = new();

    [GlobalSetup]
    public void Setup()
    {
        _vp8 = new byte[10_000];
        new Functional.WebRtc.Core.Entropy(1).Fill(_vp8);
        var idr = new byte[10_000];
        new Functional.WebRtc.Core.Entropy(2).Fill(idr);
        for (var i = 0; i < idr.Length; i++) if (idr[i] == 0) idr[i] = 1;
        idr[0] = 0x65;
        _h264 = H264AnnexB.Join([new byte[] { 0x67, 0x42, 0xC0, 0x1F, 0xDA, 0x01 }, new byte[] { 0x68, 0xCE, 0x3C, 0x80 }, idr]).ToArray();
        _opus = new byte[120];
        _opus[0] = 0xFC;
        _vp8Payloads = _vp8Payloader.Payload(_vp8, 1188).Payloads;
        _h264Payloads = H264Payloader.Instance.Payload(_h264, 1188).Payloads;
        _opusPayloads = OpusPayloader.Instance.Payload(_opus, 1188).Payloads;
    }

    [Benchmark] public int Vp8Packetize() => _vp8Payloader.Payload(_vp8, 1188).Payloads.Count;
    [Benchmark] public int Vp8Depacketize() => Vp8Depacketizer.Instance.Depacketize(_vp8Payloads).Map(b => b.Length).IfLeft(0);

    [Benchmark(Description = "Vp8 depacketize per packet (span, zero-copy)")]
    public int Vp8DescriptorSpan()
    {
        var n = 0;
        foreach (var p in _vp8Payloads)
            if (Vp8Depacketizer.TryGetPartition(p.Span, out _, out var data)) n += data.Length;
        return n;
    }

    [Benchmark] public int H264Packetize() => H264Payloader.Instance.Payload(_h264, 1188).Payloads.Count;
    [Benchmark] public int H264Depacketize() => H264Depacketizer.Instance.Depacketize(_h264Payloads).Map(b => b.Length).IfLeft(0);
    [Benchmark] public int OpusPacketize() => OpusPayloader.Instance.Payload(_opus, 1188).Payloads.Count;
    [Benchmark] public int OpusDepacketize() => AudioDepacketizer.Instance.Depacketize(_opusPayloads).Map(b => b.Length).IfLeft(0);

    [Benchmark(Description = "Packetizer: VP8 frame to RtpPacket records")]
    public int PacketizerVp8() =>
        Packetizer.Packetize(new PacketizerState(1, 96, _vp8Payloader, 1200, 0, 0, TimeSpan.Zero), new MediaSample(_vp8, TimeSpan.FromMilliseconds(33))).Outputs.Count;
}
