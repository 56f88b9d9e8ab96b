using BenchmarkDotNet.Attributes;
using Functional.WebRtc.Core.Rtp;

namespace Functional.WebRtc.Benchmarks;

/// <summary>
/// Transport-wide congestion control: recording 100 arrivals (one feedback interval of 1000 packets/s video) and
/// emitting their feedback packet; stamping the transport sequence number on an outgoing packet.
/// </summary>
[MemoryDiagnoser]
public class TwccBenchmarks
{
    private TwccRecorder _recorder = TwccRecorder.Create(1, 2, TwccRecorderConfig.Default with { PacketsPerFeedback = int.MaxValue });
    private readonly byte[] _packet = new byte[1300];
    private int _packetLength;
    private byte[] _withExtension = new byte[1300];
    private int _withExtensionLength;

    [GlobalSetup]
    public void Setup()
    {
        var p = RtpPacket.Create(96, 1, 2, 3, new byte[1100]).SetString(4, "0");
        var bytes = p.ToBytes().IfLeft(_ => throw new InvalidOperationException());
        bytes.CopyTo(_packet, 0);
        _packetLength = bytes.Length;
        var q = p.SetTransportSequenceNumber(3, 7).ToBytes().IfLeft(_ => throw new InvalidOperationException());
        _withExtension = new byte[1300];
        q.CopyTo(_withExtension, 0);
        _withExtensionLength = q.Length;
    }

    private ushort _seq;
    private long _at;

    /// <summary>100 arrivals (a few lost and reordered) and the tick that emits their feedback.</summary>
    [Benchmark(OperationsPerInvoke = 100)]
    public int RecordHundredArrivalsAndEmit()
    {
        var s = _recorder;
        for (var i = 0; i < 100; i++)
        {
            _at += 10_000; // 1 ms
            var seq = (ushort)(_seq + (i % 10 == 3 ? i + 1 : i % 10 == 4 ? i - 1 : i));
            if (i % 25 == 7) continue; // lost
            s = TwccRecorder.Handle(s, new TwccInput.Arrival(seq, TimeSpan.FromTicks(_at))).State;
        }
        _seq += 100;
        var step = TwccRecorder.Handle(s, new TwccInput.Tick(TimeSpan.FromTicks(_at + TimeSpan.TicksPerSecond)));
        _at += TimeSpan.TicksPerSecond;
        _recorder = step.State;
        return step.Outputs.Count;
    }

    /// <summary>The same 100 arrivals through the packet-path entry (no input record) and the tick that emits their feedback.</summary>
    [Benchmark(OperationsPerInvoke = 100)]
    public int RecordHundredArrivalsAndEmitDirect()
    {
        var s = _recorder;
        for (var i = 0; i < 100; i++)
        {
            _at += 10_000; // 1 ms
            var seq = (ushort)(_seq + (i % 10 == 3 ? i + 1 : i % 10 == 4 ? i - 1 : i));
            if (i % 25 == 7) continue; // lost
            s = TwccRecorder.Record(s, seq, TimeSpan.FromTicks(_at)).State;
        }
        _seq += 100;
        var step = TwccRecorder.Tick(s, TimeSpan.FromTicks(_at + TimeSpan.TicksPerSecond));
        _at += TimeSpan.TicksPerSecond;
        _recorder = step.State;
        return step.Outputs.Count;
    }

    /// <summary>Overwrites the number in a packet that already carries the element (as a retransmission does).</summary>
    [Benchmark]
    public int StampOverwrite()
    {
        RtpExtensionStamp.TrySetTransportSequenceNumber(_withExtension, _withExtensionLength, 3, _seq++, out var n);
        return n;
    }

    /// <summary>Adds the element to a packet with a one-byte block (mid), moving the 1100-byte payload.</summary>
    [Benchmark]
    public int StampInsert()
    {
        var buffer = _withExtension;
        _packet.AsSpan(0, _packetLength).CopyTo(buffer);
        RtpExtensionStamp.TrySetTransportSequenceNumber(buffer, _packetLength, 3, _seq++, out var n);
        return n;
    }
}
