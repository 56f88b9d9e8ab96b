using FsCheck;
using FsCheck.Fluent;
using Functional.WebRtc.Core;
using Functional.WebRtc.Core.Sctp;
using Functional.WebRtc.Testing;

namespace Functional.WebRtc.PropertyTests.Sctp;

public static class FuzzArbs
{
    /// <summary>Up to 30 hostile packets: well-formed chunks of every kind, or random bytes.</summary>
    public static Arbitrary<SctpPacket[]> Storms() =>
        Gen.Choose(1, 30).SelectMany(n => Gen.ArrayOf(
            from k in Gen.Choose(0, 3)
            from cs in Gen.ArrayOf(SctpArbs.Chunk, k)
            select new SctpPacket(5000, 5000, 0, 0, cs), n)).ToArbitrary();
}

public class SctpAssociationFuzzProperties
{
    private static (SctpAssociation A, SctpAssociation B) Established(ulong seed)
    {
        var a = SctpAssociation.Create(SctpConfig.Default, new Entropy(seed));
        var b = SctpAssociation.Create(SctpConfig.Default, new Entropy(seed + 1));
        var toB = new List<byte[]>(); var toA = new List<byte[]>();
        void Route(Step<SctpAssociation, SctpOutput> s, List<byte[]> to) { foreach (var o in s.Outputs) if (o is SctpOutput.Transmit t) to.Add(t.Packet); }
        var st = SctpAssociation.Handle(a, new SctpInput.Associate(TimeSpan.Zero)); a = st.State; Route(st, toB);
        for (var i = 0; i < 4; i++)
        {
            if (toB.Count > 0) { st = SctpAssociation.Handle(b, new SctpInput.ReceivedBatch(TimeSpan.Zero, toB.ToArray())); toB.Clear(); b = st.State; Route(st, toA); }
            if (toA.Count > 0) { st = SctpAssociation.Handle(a, new SctpInput.ReceivedBatch(TimeSpan.Zero, toA.ToArray())); toA.Clear(); a = st.State; Route(st, toB); }
        }
        return (a, b);
    }

    [Property(MaxTest = 300, Arbitrary = new[] { typeof(FuzzArbs) })]
    public bool HostilePacketsNeverThrow(SctpPacket[] storm, ulong seed, bool useRightTag, byte[] junk)
    {
        var (a, b) = Established(seed);
        if (b.State != SctpState.Established) return false;
        var at = TimeSpan.Zero;
        foreach (var p in storm)
        {
            at += TimeSpan.FromMilliseconds(50);
            var bytes = (p with { VerificationTag = useRightTag ? b.LocalVerificationTag : p.VerificationTag }).ToBytes();
            b = SctpAssociation.Handle(b, new SctpInput.Received(at, bytes)).State;
            b = SctpAssociation.Handle(b, new SctpInput.Send(at, 1, 51, new byte[] { 1, 2, 3 })).State;
            b = SctpAssociation.Handle(b, new SctpInput.Tick(at)).State;
        }
        b = SctpAssociation.Handle(b, new SctpInput.Received(at, junk)).State;
        b = SctpAssociation.Handle(b, new SctpInput.Tick(at + TimeSpan.FromMinutes(5))).State;
        return true;
    }
}
