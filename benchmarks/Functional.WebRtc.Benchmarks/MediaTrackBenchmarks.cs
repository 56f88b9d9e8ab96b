using BenchmarkDotNet.Attributes;
using Functional.WebRtc.Core.Rtp;
using Functional.WebRtc.Media;

namespace Functional.WebRtc.Benchmarks;

/// <summary>
/// The media send path of the shell on a connected pair over 127.0.0.1: one Opus sample (packetize, rewrite, history,
/// SRTP, sendto), one raw RTP packet, and the receive statistics per packet.
/// </summary>
[MemoryDiagnoser]
public class MediaTrackBenchmarks
{
    private PeerConnection? _offerer, _answerer;
    private TrackLocalStaticSample? _opus;
    private TrackLocalStaticRtp? _raw;
    private readonly byte[] _sample = new byte[120];
    private byte[] _packet = [];
    private ushort _seq;

    [GlobalSetup]
    public void Setup()
    {
        _offerer = new PeerConnection();
        _answerer = new PeerConnection();
        _opus = new TrackLocalStaticSample(RtpCodecCapability.Opus, "a", "s");
        _raw = new TrackLocalStaticRtp(RtpCodecCapability.Vp8, "v", "s");
        var senders = new[] { _offerer.AddTrack(_opus), _offerer.AddTrack(_raw) };
        _offerer.SetLocalDescription(_offerer.CreateOffer());
        _offerer.GatheringComplete.Wait(TimeSpan.FromSeconds(10));
        _answerer.SetRemoteDescription(_offerer.LocalDescription!);
        _answerer.SetLocalDescription(_answerer.CreateAnswer());
        _answerer.GatheringComplete.Wait(TimeSpan.FromSeconds(10));
        _offerer.SetRemoteDescription(_answerer.LocalDescription!);
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!senders.All(s => s.CanSend))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the pair did not connect");
            Thread.Sleep(10);
        }
        _packet = RtpPacket.Create(96, 1, 1, 1, new byte[1000], marker: true).ToBytes().IfLeft(_ => throw new InvalidOperationException());
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _offerer?.Close();
        _answerer?.Close();
    }

    [Benchmark(Description = "Opus WriteSample (120 B): packetize, SRTP, send")]
    public void OpusWriteSample() => _opus!.WriteSample(_sample, TimeSpan.FromMilliseconds(20));

    [Benchmark(Description = "WriteRtp (1 kB): rewrite, history, SRTP, send")]
    public void WriteRtp()
    {
        _packet[2] = (byte)(_seq >> 8);
        _packet[3] = (byte)_seq++;
        _raw!.WriteRtp(_packet);
    }

    [Benchmark(Description = "ReceiveStatistics.Receive x1000")]
    public uint ReceiveStatistics1000()
    {
        var stats = default(ReceiveStatistics);
        for (var i = 0; i < 1000; i++) stats = stats.Receive((ushort)i, (uint)(i * 960), TimeSpan.FromMilliseconds(20 * i), 48000).Next;
        return stats.ExtendedHighest;
    }
}
