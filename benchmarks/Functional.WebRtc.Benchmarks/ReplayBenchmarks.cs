using BenchmarkDotNet.Attributes;
using Functional.WebRtc.Core.EventLog;
using Functional.WebRtc.Core.Ice;
using Functional.WebRtc.Core.PeerConnection;

namespace Functional.WebRtc.Benchmarks;

/// <summary>
/// The replay of the "Foundation" issue under BenchmarkDotNet: the recorded offerer and answerer logs of
/// <see cref="Replay.RecordLogs"/> (94 inputs, audio + video + data, renegotiation, rollback, ICE restart, state
/// reports) replayed whole, and the cheapest input alone. Goal (issue): over 1 million inputs per second.
/// Per-input figures: divide ReplayBothLogs by 94 (the Stopwatch verb `replay` prints the per-kind breakdown).
/// </summary>
[MemoryDiagnoser]
public class ReplayBenchmarks
{
    private List<string> offerer = null!, answerer = null!;
    private PeerState stable = null!;
    private readonly PeerInput ice = new PeerInput.IceStateChanged(IceConnectionState.Checking);

    [GlobalSetup]
    public void Setup()
    {
        (offerer, answerer) = Replay.RecordLogs();
        // The offerer's state after its first negotiation and transport reports (stable, connected).
        var steps = EventLog.Replay(offerer).IfLeft(e => throw new InvalidOperationException(e.ToString()));
        stable = steps.Filter(s => s.State.Signaling == SignalingState.Stable && s.State.CurrentRemote.IsSome).Head.State;
    }

    /// <summary>Both logs through EventLog.Replay: JSON decode, SDP parse, reducer (94 inputs).</summary>
    [Benchmark]
    public int ReplayBothLogs() =>
        EventLog.Replay(offerer).Match(s => s.Count, _ => 0) + EventLog.Replay(answerer).Match(s => s.Count, _ => 0);

    /// <summary>One ICE state report on a stable, negotiated state.</summary>
    [Benchmark]
    public PeerState HandleIceStateChanged() => PeerMachine.Handle(stable, ice).State;
}
