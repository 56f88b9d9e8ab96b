using FsCheck;
using FsCheck.Fluent;
using Functional.WebRtc.Core.Rtp;
using Functional.WebRtc.Testing;
using LanguageExt;

namespace Functional.WebRtc.PropertyTests.Rtp;

public class RtcpProperties
{
    [Property(MaxTest = 300, Arbitrary = new[] { typeof(RtcpArbs) })]
    public bool EveryPacketTypeRoundTrips(RtcpPacket p)
    {
        var bytes = RtcpCompound.ToBytes(p).IfLeft(e => throw new Exception(e.ToString()));
        return bytes.Length == p.Size && RtcpCompound.Parse(bytes).Map(ps => ps.Count == 1 && ps[0] == p).IfLeft(false);
    }

    [Property(MaxTest = 200, Arbitrary = new[] { typeof(RtcpArbs) })]
    public bool CompoundRoundTrips(Seq<RtcpPacket> ps)
    {
        var bytes = RtcpCompound.ToBytes(ps).IfLeft(e => throw new Exception(e.ToString()));
        return RtcpCompound.Parse(bytes).Map(back => back == ps).IfLeft(false);
    }

    [Property(MaxTest = 200, Arbitrary = new[] { typeof(RtcpArbs) })]
    public bool NackListRoundTrips(ushort[] lost)
    {
        // Distinct, in increasing order from the first: FromLost then expansion gives the same set.
        var sorted = lost.Distinct().OrderBy(x => x).ToArray();
        var nack = GenericNack.FromLost(1, 2, sorted);
        return nack.LostSequenceNumbers.OrderBy(x => x).SequenceEqual(sorted) && nack.Pairs.Count <= sorted.Length;
    }

    [Property(MaxTest = 500)]
    public bool RandomBytesNeverThrow(byte[] bytes)
    {
        var r = RtcpCompound.Parse(bytes);
        // Whatever parses must write back and parse to the same list.
        return r.Match(ps => RtcpCompound.ToBytes(ps).Map(b => RtcpCompound.Parse(b).Map(q => q == ps).IfLeft(false)).IfLeft(true), _ => true);
    }

    [Property(MaxTest = 500, Arbitrary = new[] { typeof(RtcpArbs) })]
    public Property MutationsAndTruncationsNeverThrow(Seq<RtcpPacket> ps) =>
        Prop.ForAll(Gen.Choose(0, 100_000).ToArbitrary(), Gen.Choose(0, 255).ToArbitrary(), (pos, value) =>
        {
            var bytes = RtcpCompound.ToBytes(ps).IfLeft(e => throw new Exception(e.ToString()));
            var mutated = bytes.ToArray();
            mutated[pos % mutated.Length] = (byte)value;
            _ = RtcpCompound.Parse(mutated);
            _ = RtcpCompound.Parse(bytes.AsSpan(0, pos % (bytes.Length + 1)));
            return true;
        });
}
