using FsCheck;
using FsCheck.Fluent;
using Functional.WebRtc.Core.Rtp;
using LanguageExt;

namespace Functional.WebRtc.PropertyTests.Rtp;

public static class RtpGens
{
    /// <summary>Random bytes of a random length, filled from a generated seed (fast for large arrays; no shrinking of contents).</summary>
    public static Gen<byte[]> BytesOf(int min, int max) =>
        from n in Gen.Choose(min, max)
        from seed in ArbMap.Default.GeneratorFor<ulong>()
        from small in Gen.Elements(false, false, true)
        select Fill(n, seed, small);

    private static byte[] Fill(int n, ulong seed, bool small)
    {
        var b = new byte[n];
        new Functional.WebRtc.Core.Entropy(seed).Fill(b);
        // Sometimes only small values, so zeros and lengths near the edges show up often.
        if (small) for (var i = 0; i < b.Length; i++) b[i] &= 0x03;
        return b;
    }
    public static Gen<uint> UInt => ArbMap.Default.GeneratorFor<uint>();
    public static Gen<ushort> UShort => ArbMap.Default.GeneratorFor<ushort>();
    public static Gen<byte> Octet => ArbMap.Default.GeneratorFor<byte>();
    public static Gen<bool> Bool => ArbMap.Default.GeneratorFor<bool>();

    public static Gen<RtpPacket> Packet =>
        from marker in Bool
        from pt in Gen.Choose(0, 127)
        from seq in UShort
        from ts in UInt
        from ssrc in UInt
        from csrcs in Gen.Choose(0, 15).SelectMany(n => Gen.ArrayOf(UInt, n))
        from format in Gen.Elements(RtpExtensionFormat.None, RtpExtensionFormat.OneByte, RtpExtensionFormat.TwoByte)
        from ids in Gen.Choose(1, 5).SelectMany(n => Gen.ArrayOf(Gen.Choose(1, format == RtpExtensionFormat.TwoByte ? 255 : 14), n))
        from datas in Gen.ArrayOf(BytesOf(format == RtpExtensionFormat.TwoByte ? 0 : 1, 16), ids.Length)
        from payload in BytesOf(0, 300)
        from padding in Gen.Choose(0, 3).Select(x => (byte)(x * 5))
        let exts = format == RtpExtensionFormat.None ? Seq<RtpExtension>.Empty
            : ids.Distinct().Select((id, i) => new RtpExtension((byte)id, datas[i])).ToSeq()
        select new RtpPacket(marker, (byte)pt, seq, ts, ssrc, csrcs.ToSeq(), format, exts, payload, padding);
}

public class RtpArbs
{
    public static Arbitrary<RtpPacket> Packet() => RtpGens.Packet.ToArbitrary();
}
