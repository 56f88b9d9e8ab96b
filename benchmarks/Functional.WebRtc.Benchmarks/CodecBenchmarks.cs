using System.Buffers;
using BenchmarkDotNet.Attributes;
using Functional.WebRtc.Core;
using Functional.WebRtc.Core.Media;
using LanguageExt;

namespace Functional.WebRtc.Benchmarks;

/// <summary>
/// Packetize and depacketize per codec, per packet (ns and bytes allocated per RTP packet), at a 1188-byte payload
/// limit (1200-byte packets with a 12-byte header):
/// <list type="bullet">
/// <item>OnePacket*: a frame that fits one packet (video 1000 B, Opus 120 B, G.711/G.722 20 ms = 160 B), so the
/// figure is per packet and per frame at once.</item>
/// <item>TenPacket*: a frame split into exactly 10 packets (video 11 kB; G.711/G.722 a 11 kB sample; Opus, which
/// cannot be split, ten 120-byte frames), reported per packet (OperationsPerInvoke = 10).</item>
/// <item>SpanDepacketizeOnePacket: the per-packet span API where the codec has one (VP8 TryGetPartition, VP9 TryGetData,
/// H.264 TryDepacketize into a reused buffer writer; AV1 and audio have none and run the frame API).</item>
/// </list>
/// </summary>
[MemoryDiagnoser]
public class CodecBenchmarks
{
    private const int MaxPayload = 1188;
    private IRtpPayloader _payloader = null!;
    private IRtpDepacketizer _depacketizer = null!;
    private byte[] _small = [], _large = [];
    private Seq<Bytes> _smallPayloads, _largePayloads;
    private readonly ArrayBufferWriter<byte> _writer = new(4096);

    [Params("VP8", "VP9", "H264", "AV1", "Opus", "PCMU", "PCMA", "G722")]
    public string Codec { get; set; } = "VP8";

    private bool IsVideo => Codec is "VP8" or "VP9" or "H264" or "AV1";

    [GlobalSetup]
    public void Setup()
    {
        (_payloader, _depacketizer) = Codec switch
        {
            "VP8" => ((IRtpPayloader)new Vp8Payloader(), (IRtpDepacketizer)Vp8Depacketizer.Instance),
            "VP9" => (new Vp9Payloader(), Vp9Depacketizer.Instance),
            "H264" => (H264Payloader.Instance, H264Depacketizer.Instance),
            "AV1" => (Av1Payloader.Instance, Av1Depacketizer.Instance),
            "Opus" => (OpusPayloader.Instance, AudioDepacketizer.Instance),
            "PCMU" => (SampleAudioPayloader.Pcmu, AudioDepacketizer.Instance),
            "PCMA" => (SampleAudioPayloader.Pcma, AudioDepacketizer.Instance),
            "G722" => (SampleAudioPayloader.G722, AudioDepacketizer.Instance),
            _ => throw new ArgumentException(Codec),
        };
        _small = Frame(IsVideo ? 1000 : Codec == "Opus" ? 120 : 160, 1);
        _large = Frame(Codec == "Opus" ? 120 : 11_000, 2);
        _smallPayloads = _payloader.Payload(_small, MaxPayload).Payloads;
        _largePayloads = Codec == "Opus"
            ? Enumerable.Repeat(_smallPayloads[0], 10).ToSeq()
            : _payloader.Payload(_large, MaxPayload).Payloads;
        if (_smallPayloads.Count != 1 || _largePayloads.Count != 10)
            throw new InvalidOperationException($"{Codec}: {_smallPayloads.Count} and {_largePayloads.Count} packets, expected 1 and 10");
        if (Codec != "Opus" && !_depacketizer.Depacketize(_largePayloads).Exists(f => IsVideo && Codec != "H264" && Codec != "AV1" ? f.Span.SequenceEqual(_large) : f.Length > 0))
            throw new InvalidOperationException($"{Codec}: the frame does not come back");
    }

    /// <summary>A frame the codec's payloader takes as is: H.264 as one Annex B IDR NAL unit, AV1 as one OBU with a size field.</summary>
    private byte[] Frame(int size, ulong seed)
    {
        var data = new byte[size];
        new Entropy(seed).Fill(data);
        switch (Codec)
        {
            case "H264":
                for (var i = 0; i < data.Length; i++) if (data[i] == 0) data[i] = 1; // no start code inside
                data[0] = 0; data[1] = 0; data[2] = 1; data[3] = 0x65;
                break;
            case "AV1":
                // OBU_FRAME (type 6) with obu_has_size_field, then the LEB128 size of the rest (2 octets for these sizes).
                data[0] = (6 << 3) | 0x02;
                if (Av1Obu.WriteLeb128(data.AsSpan(1), (ulong)(size - 3)) != 2) throw new InvalidOperationException("size field");
                break;
        }
        return data;
    }

    [Benchmark]
    public int OnePacketPacketize() => _payloader.Payload(_small, MaxPayload).Payloads.Count;

    [Benchmark]
    public int OnePacketDepacketize() => _depacketizer.Depacketize(_smallPayloads).Map(f => f.Length).IfLeft(-1);

    [Benchmark(OperationsPerInvoke = 10)]
    public int TenPacketPacketize()
    {
        if (Codec != "Opus") return _payloader.Payload(_large, MaxPayload).Payloads.Count;
        var n = 0;
        for (var i = 0; i < 10; i++) n += _payloader.Payload(_small, MaxPayload).Payloads.Count;
        return n;
    }

    [Benchmark(OperationsPerInvoke = 10)]
    public int TenPacketDepacketize()
    {
        if (Codec != "Opus") return _depacketizer.Depacketize(_largePayloads).Map(f => f.Length).IfLeft(-1);
        var n = 0;
        foreach (var p in _largePayloads) n += _depacketizer.Depacketize(Prelude.Seq1(p)).Map(f => f.Length).IfLeft(-1);
        return n;
    }

    [Benchmark]
    public int SpanDepacketizeOnePacket()
    {
        var payload = _smallPayloads[0].Span;
        switch (Codec)
        {
            case "VP8": return Vp8Depacketizer.TryGetPartition(payload, out _, out var vp8) ? vp8.Length : -1;
            case "VP9": return Vp9Depacketizer.TryGetData(payload, out _, out var vp9) ? vp9.Length : -1;
            case "H264":
                _writer.ResetWrittenCount();
                return H264Depacketizer.TryDepacketize(payload, _writer, out _) ? _writer.WrittenCount : -1;
            default: return OnePacketDepacketize();
        }
    }
}
