using FsCheck;
using FsCheck.Fluent;
using Functional.WebRtc.Core.Sctp;
using Functional.WebRtc.Testing;

namespace Functional.WebRtc.PropertyTests.Sctp;

/// <summary>A path for the PLPMTUD machine: what it carries, and how often a probe that fits is lost anyway.</summary>
public sealed record PmtuPath(int Carries, int LossPercent, ulong Seed, uint[] ForgedAcks)
{
    public override string ToString() => $"carries {Carries} loss {LossPercent}% seed {Seed} forged [{string.Join(",", ForgedAcks)}]";
}

public static class PmtuArbs
{
    public static Arbitrary<PmtuPath> Paths() =>
        (from carries in Gen.OneOf(Gen.Choose(1200, 20000), Gen.Elements(1200, 1500, 9000, 16384, 65535))
         from loss in Gen.Elements(0, 0, 10, 30, 60)
         from seed in ArbMap.Default.GeneratorFor<ulong>()
         from forged in Gen.ArrayOf(Gen.Choose(0, 40).Select(i => (uint)i), 3)
         select new PmtuPath(carries, loss, seed, forged)).ToArbitrary();
}

/// <summary>
/// The PLPMTUD machine driven in simulated time against a path of a given MTU: probes that fit are answered (unless
/// lost), others vanish; timers fire when due.
/// </summary>
public class PathMtuDiscoveryProperties
{
    private static readonly PmtuConfig Config = new(1200, 16384);

    private sealed class Run(PmtuPath path)
    {
        public PathMtuDiscovery State = PathMtuDiscovery.Create(Config);
        public TimeSpan Now;
        public int Carries = path.Carries;
        public readonly List<(TimeSpan At, uint Id)> Answers = [];
        public readonly List<int> Probed = [];
        public readonly List<int> Sizes = [];
        private ulong _random = path.Seed | 1;

        private bool Lost()
        {
            _random ^= _random << 13; _random ^= _random >> 7; _random ^= _random << 17;
            return (int)(_random % 100) < path.LossPercent;
        }

        public void Apply(PmtuInput input)
        {
            var step = PathMtuDiscovery.Handle(State, input);
            State = step.State;
            Sizes.Add(State.Plpmtu);
            foreach (var o in step.Outputs)
                if (o is PmtuOutput.SendProbe p)
                {
                    Probed.Add(p.Size);
                    if (p.Size <= Carries && !Lost()) Answers.Add((Now + TimeSpan.FromMilliseconds(10), p.Id));
                }
        }

        /// <summary>Runs answers and timers in time order for <paramref name="span"/> of simulated time.</summary>
        public void RunFor(TimeSpan span, int maxSteps = 10_000)
        {
            var end = Now + span;
            for (var i = 0; i < maxSteps; i++)
            {
                TimeSpan? next = State.NextTimer;
                if (Answers.Count > 0 && (next is null || Answers[0].At <= next)) next = Answers[0].At;
                if (next is null || next > end) break;
                Now = next.Value > Now ? next.Value : Now;
                if (Answers.Count > 0 && Answers[0].At <= Now)
                {
                    var (_, id) = Answers[0];
                    Answers.RemoveAt(0);
                    Apply(new PmtuInput.ProbeAcked(Now, id));
                }
                else Apply(new PmtuInput.Tick(Now));
            }
            Now = end;
        }
    }

    private static Run Started(PmtuPath path)
    {
        var run = new Run(path);
        run.Apply(new PmtuInput.Start(TimeSpan.Zero));
        return run;
    }

    [Property(MaxTest = 200, Arbitrary = new[] { typeof(PmtuArbs) })]
    public bool NeverUsesASizeThePathDidNotCarryNorFallsBelowTheBase(PmtuPath path)
    {
        var run = Started(path);
        run.RunFor(TimeSpan.FromMinutes(30));
        return run.Sizes.All(s => s >= Config.BaseMtu && (s == Config.BaseMtu || s <= path.Carries));
    }

    [Property(MaxTest = 200, Arbitrary = new[] { typeof(PmtuArbs) })]
    public bool WithoutLossTheSearchEndsJustBelowWhatThePathCarries(PmtuPath path)
    {
        var run = Started(path with { LossPercent = 0 });
        run.RunFor(TimeSpan.FromMinutes(5));
        var best = Math.Min(path.Carries, Config.MaxMtu) & ~3;
        return run.State.Phase == PmtuPhase.SearchComplete && run.State.Plpmtu <= best &&
               run.State.Plpmtu >= Math.Max(Config.BaseMtu, best - Config.Granularity);
    }

    [Property(MaxTest = 200, Arbitrary = new[] { typeof(PmtuArbs) })]
    public bool ALostProbeNeverShrinksThePacketSize(PmtuPath path)
    {
        // No data timeouts here: only probes are lost, so the size in use may only grow.
        var run = Started(path);
        run.RunFor(TimeSpan.FromMinutes(30));
        return Enumerable.Range(1, Math.Max(0, run.Sizes.Count - 1)).All(i => run.Sizes[i] >= run.Sizes[i - 1]);
    }

    [Property(MaxTest = 200, Arbitrary = new[] { typeof(PmtuArbs) })]
    public bool AcknowledgementsOfOtherProbesChangeNothing(PmtuPath path)
    {
        var run = Started(path);
        run.RunFor(TimeSpan.FromMilliseconds(5)); // a probe is outstanding, no answer yet
        var before = run.State;
        foreach (var id in path.ForgedAcks.Where(i => i != before.OutstandingProbe))
            run.Apply(new PmtuInput.ProbeAcked(run.Now, id));
        return run.State == before;
    }

    [Property(MaxTest = 200, Arbitrary = new[] { typeof(PmtuArbs) })]
    public bool ABlackHoleDropsToTheBaseAtOnceAndTheSearchStaysBelowTheSizeThatFailed(PmtuPath path)
    {
        var run = Started(path with { Carries = 16384, LossPercent = 0 });
        run.RunFor(TimeSpan.FromSeconds(5));
        if (run.State.Plpmtu != 16384) return false;
        run.Carries = path.Carries < 16384 ? path.Carries : 9000; // the path shrinks
        for (var i = 0; i < Config.BlackHoleT3Expiries; i++) run.Apply(new PmtuInput.T3Expired(run.Now));
        if (run.State.Plpmtu != Config.BaseMtu || run.State.Phase != PmtuPhase.Base) return false;
        var probesBefore = run.Probed.Count;
        run.RunFor(TimeSpan.FromMinutes(5));
        var later = run.Probed.Skip(probesBefore + 1).ToList(); // after the base probe
        return later.All(s => s < 16384) && run.State.Plpmtu <= run.Carries && run.State.Plpmtu >= Config.BaseMtu;
    }

    [Property(MaxTest = 100, Arbitrary = new[] { typeof(PmtuArbs) })]
    public bool OneTimeoutFollowedByAcknowledgedDataIsNotABlackHole(PmtuPath path)
    {
        var run = Started(path with { Carries = 16384, LossPercent = 0 });
        run.RunFor(TimeSpan.FromSeconds(5));
        for (var i = 0; i < 5; i++)
        {
            run.Apply(new PmtuInput.T3Expired(run.Now));
            run.Apply(new PmtuInput.DataAcknowledged(run.Now));
        }
        return run.State.Plpmtu == 16384;
    }

    [Property(MaxTest = 100, Arbitrary = new[] { typeof(PmtuArbs) })]
    public bool ProbePacketsHaveTheProbedSizeAndParse(PmtuPath path)
    {
        var size = Math.Clamp(path.Carries & ~3, PathMtuDiscovery.MinProbeSize, 16384);
        var packet = PathMtuDiscovery.WriteProbePacket(5000, 5000, 0x1234, path.ForgedAcks[0], size, false);
        return packet.Length == size && SctpPacket.ChecksumValid(packet, false) && SctpPacket.TryParse(packet, out var p, out _) &&
               p.Chunks.Count == 2 && p.Chunks[0] is SctpChunk.Heartbeat hb &&
               PathMtuDiscovery.TryReadProbeInfo(hb.Info, out var id, out var s) && id == path.ForgedAcks[0] && s == size &&
               p.Chunks[1] is SctpChunk.Pad;
    }
}
