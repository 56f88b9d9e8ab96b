using FsCheck;
using FsCheck.Fluent;
using Functional.WebRtc.Core.DataChannels;
using Functional.WebRtc.Testing;

namespace Functional.WebRtc.PropertyTests.DataChannels;

public static class DcepArbs
{
    public static Arbitrary<DcepMessage> Messages() =>
        Gen.OneOf(
            Gen.Constant((DcepMessage)new DcepMessage.Ack()),
            from t in Gen.Elements(Enum.GetValues<DcepChannelType>())
            from prio in ArbMap.Default.GeneratorFor<ushort>()
            from rel in ArbMap.Default.GeneratorFor<uint>()
            from label in ArbMap.Default.GeneratorFor<string>().Select(s => s ?? "")
            from proto in Gen.Elements("", "json", "chat")
            select (DcepMessage)new DcepMessage.Open(t, prio, rel, label, proto))
        .ToArbitrary();
}

public class DcepProperties
{
    [Property(MaxTest = 300, Arbitrary = new[] { typeof(DcepArbs) })]
    public bool RoundTrips(DcepMessage m)
    {
        if (m is DcepMessage.Open o && !IsWellFormed(o.Label)) return true; // lone surrogates do not survive UTF-8
        return DcepMessage.TryParse(m.ToBytes(), out var back, out _) && back == m;
    }

    private static bool IsWellFormed(string s) => System.Text.Encoding.UTF8.GetString(System.Text.Encoding.UTF8.GetBytes(s)) == s;

    [Property(MaxTest = 1000)]
    public bool RandomBytesNeverThrow(byte[] bytes) =>
        DcepMessage.TryParse(bytes, out var m, out var e) ? m is not null : e is not null;

    [Property(MaxTest = 500, Arbitrary = new[] { typeof(DcepArbs) })]
    public bool MutationsNeverThrow(DcepMessage m, int position, byte value)
    {
        var b = m.ToBytes();
        b[(int)((uint)position % (uint)b.Length)] = value;
        return DcepMessage.TryParse(b, out var x, out var e) ? x is not null : e is not null;
    }
}
