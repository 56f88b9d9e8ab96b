using FsCheck;
using FsCheck.Fluent;
using Functional.WebRtc.Core.Rtp;
using Functional.WebRtc.Testing;

namespace Functional.WebRtc.PropertyTests.Rtp;

public class RtpPacketProperties
{
    [Property(MaxTest = 300, Arbitrary = new[] { typeof(RtpArbs) })]
    public bool RecordRoundTrips(RtpPacket p)
    {
        var bytes = p.ToBytes().IfLeft(_ => throw new Exception("write failed"));
        return bytes.Length == p.Size && RtpPacket.Parse(bytes).Map(q => q == p).IfLeft(false);
    }

    [Property(MaxTest = 300, Arbitrary = new[] { typeof(RtpArbs) })]
    public bool ViewAgreesWithRecord(RtpPacket p)
    {
        var bytes = p.ToBytes().IfLeft(_ => throw new Exception("write failed"));
        if (!RtpPacketView.TryParse(bytes, out var v, out _)) return false;
        foreach (var e in p.Extensions)
            if (!v.TryGetExtension(e.Id, out var d) || !d.SequenceEqual(e.Data.Span)) return false;
        return v.SequenceNumber == p.SequenceNumber && v.Payload.SequenceEqual(p.Payload.Span) && v.CsrcCount == p.Csrcs.Count;
    }

    [Property(MaxTest = 500)]
    public bool RandomBytesNeverThrow(byte[] bytes)
    {
        var ok = RtpPacketView.TryParse(bytes, out var v, out var err);
        if (ok) foreach (var _ in v.Extensions) { }
        return ok == (err is null) && RtpPacket.Parse(bytes).IsRight == ok;
    }

    [Property(MaxTest = 500, Arbitrary = new[] { typeof(RtpArbs) })]
    public Property MutatedPacketsNeverThrow(RtpPacket p) =>
        Prop.ForAll(Gen.Choose(0, 1000).ToArbitrary(), Gen.Choose(0, 255).ToArbitrary(), (pos, value) =>
        {
            var bytes = p.ToBytes().IfLeft(_ => throw new Exception());
            var mutated = bytes.ToArray();
            mutated[pos % mutated.Length] = (byte)value;
            var truncated = bytes[..(pos % (bytes.Length + 1))];
            _ = RtpPacket.Parse(mutated);
            _ = RtpPacket.Parse(truncated);
            return true;
        });
}
