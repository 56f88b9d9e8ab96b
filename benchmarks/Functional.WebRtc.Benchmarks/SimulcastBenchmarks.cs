using BenchmarkDotNet.Attributes;
using Functional.WebRtc.Core.Rtp;

namespace Functional.WebRtc.Benchmarks;

/// <summary>
/// The send path of a simulcast layer on a connected pair over 127.0.0.1 (rewrite, history, mid and rid stamped,
/// SRTP, sendto), beside the same packet on a plain sender, and the getParameters/setParameters round trip.
/// </summary>
[MemoryDiagnoser]
public class SimulcastBenchmarks
{
    private PeerConnection? _offerer, _answerer;
    private TrackLocalStaticRtp? _plain, _layer;
    private RtpSender? _simulcast;
    private byte[] _packet = [];
    private ushort _seq;

    [GlobalSetup]
    public void Setup()
    {
        _offerer = new PeerConnection();
        _answerer = new PeerConnection();
        _plain = new TrackLocalStaticRtp(RtpCodecCapability.Vp8, "plain", "s");
        var layers = new[] { "q", "h", "f" }.Select(r => new TrackLocalStaticRtp(RtpCodecCapability.Vp8, "sim", "s", r)).ToArray();
        _layer = layers[1];
        var plain = _offerer.AddTrack(_plain);
        _simulcast = _offerer.AddTrack(layers[0]);
        foreach (var l in layers.Skip(1)) _simulcast.AddEncoding(l);
        _offerer.SetLocalDescription(_offerer.CreateOffer());
        _offerer.GatheringComplete.Wait(TimeSpan.FromSeconds(10));
        _answerer.SetRemoteDescription(_offerer.LocalDescription!);
        _answerer.SetLocalDescription(_answerer.CreateAnswer());
        _answerer.GatheringComplete.Wait(TimeSpan.FromSeconds(10));
        _offerer.SetRemoteDescription(_answerer.LocalDescription!);
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!plain.CanSend || !_simulcast.CanSend)
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

    private void NextSeq()
    {
        _packet[2] = (byte)(_seq >> 8);
        _packet[3] = (byte)_seq++;
    }

    [Benchmark(Baseline = true, Description = "plain sender WriteRtp (1 kB): rewrite, history, SRTP, send")]
    public void PlainWriteRtp()
    {
        NextSeq();
        _plain!.WriteRtp(_packet);
    }

    [Benchmark(Description = "simulcast layer WriteRtp (1 kB): + mid and rid stamped")]
    public void LayerWriteRtp()
    {
        NextSeq();
        _layer!.WriteRtp(_packet);
    }

    [Benchmark(Description = "GetParameters + SetParameters (3 layers)")]
    public void ParametersRoundTrip()
    {
        var p = _simulcast!.GetParameters();
        _simulcast.SetParameters(p);
    }
}
