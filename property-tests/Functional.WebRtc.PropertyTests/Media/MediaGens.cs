using Functional.WebRtc.Core;
using FsCheck;
using FsCheck.Fluent;
using Functional.WebRtc.Core.Media;
using Functional.WebRtc.Core.Rtp;
using Functional.WebRtc.PropertyTests.Rtp;

namespace Functional.WebRtc.PropertyTests.Media;

public static class MediaGens
{
    /// <summary>An Annex B access unit: NAL units with random bodies that contain no start code, joined with 4-byte codes.</summary>
    public static Gen<byte[]> H264Frame =>
        from count in Gen.Choose(1, 6)
        from types in Gen.ArrayOf(Gen.Elements(1, 5, 6, 7, 8), count)
        from bodies in Gen.ArrayOf(RtpGens.BytesOf(1, 4000).Select(NoStartCodes), count)
        select H264AnnexB.Join(types.Select((t, i) => (Bytes)new[] { (byte)(0x60 | t) }.Concat(bodies[i]).ToArray())).ToArray();

    // Emulation prevention guarantees no 00 00 0x (x <= 3) inside a NAL; a body never ends in 00 either.
    private static byte[] NoStartCodes(byte[] b)
    {
        var r = b.Select(x => x == 0 ? (byte)0x42 : x).ToArray();
        return r;
    }

    /// <summary>An AV1 temporal unit: a temporal delimiter then OBUs with size fields (and sometimes extension headers).</summary>
    public static Gen<(byte[] Input, byte[] Expected)> Av1Frame =>
        from count in Gen.Choose(1, 5)
        from types in Gen.ArrayOf(Gen.Elements(1, 3, 4, 5, 6), count)
        from exts in Gen.ArrayOf(ArbMap.Default.GeneratorFor<bool>(), count)
        from bodies in Gen.ArrayOf(RtpGens.BytesOf(0, 3000), count)
        select Av1(types, exts, bodies);

    public static byte[] Obu(int type, bool ext, byte[] body)
    {
        var o = new List<byte> { (byte)((type << 3) | (ext ? 0x04 : 0) | 0x02) };
        if (ext) o.Add(0x28);
        var leb = new byte[8];
        o.AddRange(leb.Take(Av1Obu.WriteLeb128(leb, (ulong)body.Length)));
        o.AddRange(body);
        return o.ToArray();
    }

    private static (byte[], byte[]) Av1(int[] types, bool[] exts, byte[][] bodies)
    {
        var obus = types.Select((t, i) => Obu(t, exts[i], bodies[i])).ToList();
        var expected = obus.SelectMany(x => x).ToArray();
        var input = Obu(Av1Obu.TemporalDelimiter, false, []).Concat(expected).ToArray();
        return (input, expected);
    }
}
