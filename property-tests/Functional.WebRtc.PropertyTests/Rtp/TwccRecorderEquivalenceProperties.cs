using FsCheck;
using FsCheck.Fluent;
using Functional.WebRtc.Core;
using Functional.WebRtc.Core.Rtp;
using Functional.WebRtc.Testing;

namespace Functional.WebRtc.PropertyTests.Rtp;

/// <summary>Inputs for the equivalence check: a config (small windows, counts and sizes too) and arrivals/ticks, with
/// sequence numbers either near each other (reordering, duplicates) or anywhere (jumps both ways, wrap-around).</summary>
public sealed record TwccRun(TwccRecorderConfig Config, (bool Tick, ushort Seq, long AtTicks)[] Inputs)
{
    public override string ToString() => $"{Config}: " + string.Join(" ", Inputs.Take(60).Select(i => i.Tick ? $"T@{i.AtTicks / 10_000}" : $"{i.Seq}@{i.AtTicks / 10_000.0:0.#}"));
}

public class TwccRunArbs
{
    public static Arbitrary<TwccRun> Run() =>
        (from interval in Gen.Elements(10, 100)
         from perFeedback in Gen.Elements(1, 3, 100, int.MaxValue)
         from maxBytes in Gen.Elements(40, 100, 1200)
         from window in Gen.Elements(1, 8, 64, 1 << 14)
         from n in Gen.Choose(1, 300)
         from wide in Gen.Frequency((3, Gen.Constant(false)), (1, Gen.Constant(true)))
         from start in Gen.Choose(0, 65535)
         from steps in Gen.ArrayOf(
             from tick in Gen.Frequency((5, Gen.Constant(false)), (1, Gen.Constant(true)))
             from step in wide ? Gen.Choose(-40000, 40000) : Gen.Choose(-5, 12)
             from dt in Gen.Frequency((6, Gen.Choose(0, 20_000)), (1, Gen.Choose(-50_000, 90_000_000)))
             select (tick, step, dt), n)
         select Make(new TwccRecorderConfig(TimeSpan.FromMilliseconds(interval), perFeedback, maxBytes, window), start, steps)).ToArbitrary();

    private static TwccRun Make(TwccRecorderConfig config, int start, (bool Tick, int Step, int DtTicks)[] steps)
    {
        var seq = start;
        var at = 10_000_000L;
        var inputs = steps.Select(s =>
        {
            at = Math.Max(0, at + s.DtTicks);
            if (!s.Tick) seq += s.Step;
            return (s.Tick, (ushort)seq, at);
        }).ToArray();
        return new TwccRun(config, inputs);
    }
}

public class TwccRecorderEquivalenceProperties
{
    /// <summary>
    /// The ring-buffer recorder is the persistent one it replaced, step for step: the same feedback packets (by value) for
    /// every input, and the same observable state (started, reported end, highest, lowest, pending count, fb pkt count,
    /// last feedback, next feedback time). This stands in for comparing whole states by value.
    /// </summary>
    [Property(MaxTest = 300, Arbitrary = new[] { typeof(TwccRunArbs) })]
    public bool RingRecorderMatchesTheReferenceModel(TwccRun run)
    {
        var ring = TwccRecorder.Create(3, 4, run.Config);
        var reference = TwccReferenceRecorder.Create(3, 4, run.Config);
        foreach (var (tick, seq, ticks) in run.Inputs)
        {
            var at = TimeSpan.FromTicks(ticks);
            TwccInput input = tick ? new TwccInput.Tick(at) : new TwccInput.Arrival(seq, at);
            var expected = TwccReferenceRecorder.Handle(reference, input);
            // Both entries of the ring recorder: the input record and the allocation-free one.
            var actual = ticks % 2 == 0 ? TwccRecorder.Handle(ring, input) : tick ? TwccRecorder.Tick(ring, at) : TwccRecorder.Record(ring, seq, at);
            reference = expected.State;
            ring = actual.State;
            if (!actual.Outputs.SequenceEqual(expected.Outputs)) return false;
            if (ring.Started != reference.Started || ring.ReportedEnd != reference.ReportedEnd || ring.Pending != reference.Arrivals.Count
                || ring.FeedbackPacketCount != reference.FeedbackPacketCount || ring.LastFeedbackAt != reference.LastFeedbackAt
                || ring.NextFeedbackAt != reference.NextFeedbackAt) return false;
            if (reference.Started && ring.Highest != reference.Highest) return false;
            if (reference.Arrivals.Count > 0 && ring.Lowest != reference.Lowest) return false;
        }
        return true;
    }
}
