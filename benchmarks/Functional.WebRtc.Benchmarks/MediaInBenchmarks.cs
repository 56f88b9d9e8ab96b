using BenchmarkDotNet.Attributes;
using Functional.WebRtc.Core.Media;
using Functional.WebRtc.Core.Rtp;
using Functional.WebRtc.Media;

namespace Functional.WebRtc.Benchmarks;

/// <summary>
/// Saving received media: RTP packets through the SampleBuilder into the file writers (to a MemoryStream).
/// VP8: 30 frames of 3 kB (a key frame first), 3 packets each; Opus: 50 packets of 120 B (one second).
/// </summary>
[MemoryDiagnoser]
public class MediaInBenchmarks
{
    private RtpPacket[] _vp8 = [];
    private RtpPacket[] _opus = [];

    [GlobalSetup]
    public void Setup()
    {
        var state = new PacketizerState(1, 96, new Vp8Payloader(), 1200, 0, 0, TimeSpan.Zero);
        var packets = new List<RtpPacket>();
        for (var i = 0; i < 30; i++)
        {
            var frame = new byte[3000];
            new Functional.WebRtc.Core.Entropy((ulong)i + 1).Fill(frame);
            frame[0] = (byte)(i == 0 ? 0x10 : 0x11);
            if (i == 0) { frame[3] = 0x9D; frame[4] = 0x01; frame[5] = 0x2A; frame[6] = 64; frame[7] = 1; frame[8] = 240; frame[9] = 0; }
            var step = Packetizer.Packetize(state, new MediaSample(frame, TimeSpan.FromMilliseconds(33)));
            state = step.State;
            packets.AddRange(step.Outputs);
        }
        _vp8 = packets.ToArray();
        _opus = Enumerable.Range(0, 50).Select(i =>
        {
            var p = new byte[120];
            p[0] = 0xFC;
            return RtpPacket.Create(111, (ushort)i, (uint)(i * 960), 2, p, marker: i == 0);
        }).ToArray();
    }

    [Benchmark]
    public long Vp8ToIvf30Frames()
    {
        var stream = new MemoryStream(100_000);
        using var writer = new IvfFileWriter(stream);
        foreach (var p in _vp8) writer.WriteRtp(p);
        writer.Close();
        return writer.FramesWritten;
    }

    [Benchmark]
    public long OpusToOgg50Packets()
    {
        var stream = new MemoryStream(10_000);
        using var writer = new OggOpusFileWriter(stream);
        foreach (var p in _opus) writer.WriteRtp(p);
        writer.Close();
        return writer.FramesWritten;
    }
}
