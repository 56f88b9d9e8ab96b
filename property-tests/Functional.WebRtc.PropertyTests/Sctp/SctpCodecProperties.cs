using FsCheck;
using FsCheck.Fluent;
using Functional.WebRtc.Core.Sctp;
using Functional.WebRtc.Testing;
using LanguageExt;

namespace Functional.WebRtc.PropertyTests.Sctp;

public static class SctpArbs
{
    static Gen<byte[]> Bytes(int max) => Gen.Choose(0, max).SelectMany(n => Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), n));
    static Gen<uint> U32 => ArbMap.Default.GeneratorFor<uint>();
    static Gen<ushort> U16 => ArbMap.Default.GeneratorFor<ushort>();
    static Gen<bool> B => ArbMap.Default.GeneratorFor<bool>();

    static Gen<InitParameters> InitParams =>
        from cookie in Gen.OneOf(Gen.Constant<byte[]?>(null), Bytes(64).Select(b => (byte[]?)b))
        from ext in Bytes(5)
        from fwd in B
        from zc in Gen.OneOf(Gen.Constant<uint?>(null), U32.Select(u => (uint?)u))
        from unk in Gen.ListOf(Bytes(9).Select(v => ((ushort)0x8123, v)), 0).Select(l => l.Take(2).ToArray())
        select new InitParameters(cookie, new Arr<byte>(ext), fwd, zc, new Arr<(ushort, byte[])>(unk));

    static Gen<Arr<ErrorCause>> Causes => Gen.Choose(0, 3).SelectMany(n =>
        Gen.ArrayOf(from c in U16 from b in Bytes(7) select new ErrorCause(c, b), n)).Select(a => new Arr<ErrorCause>(a));

    static Gen<Arr<ushort>> Streams => Gen.Choose(0, 5).SelectMany(n => Gen.ArrayOf(U16, n)).Select(a => new Arr<ushort>(a));

    public static Gen<SctpChunk> Chunk => Gen.OneOf(
        from f in Gen.Choose(0, 15) from tsn in U32 from sid in U16 from ssn in U16 from ppid in U32 from p in Bytes(40).Where(x => x.Length > 0)
        select (SctpChunk)new SctpChunk.Data((f & 4) != 0, (f & 2) != 0, (f & 1) != 0, (f & 8) != 0, tsn, sid, ssn, ppid, p),
        from f in Gen.Choose(0, 15) from tsn in U32 from sid in U16 from mid in U32 from ppid in U32 from p in Bytes(40)
        select (SctpChunk)new SctpChunk.IData((f & 4) != 0, (f & 2) != 0, (f & 1) != 0, (f & 8) != 0, tsn, sid, mid, ppid, p),
        from ack in B from tag in U32 from rwnd in U32 from os in U16 from mis in U16 from tsn in U32 from p in InitParams
        select ack ? (SctpChunk)new SctpChunk.InitAck(tag, rwnd, os, mis, tsn, p) : new SctpChunk.Init(tag, rwnd, os, mis, tsn, p),
        from cum in U32 from rwnd in U32 from g in Gen.ListOf(from a in U16 from b in U16 select new GapAckBlock(a, b)).Select(l => l.Take(6))
        from d in Gen.ListOf(U32).Select(l => l.Take(4))
        select (SctpChunk)new SctpChunk.Sack(cum, rwnd, g.ToArr(), d.ToArr()),
        from hb in B from info in Bytes(20) select hb ? (SctpChunk)new SctpChunk.Heartbeat(info) : new SctpChunk.HeartbeatAck(info),
        from t in B from c in Causes select (SctpChunk)new SctpChunk.Abort(t, c),
        from c in Causes select (SctpChunk)new SctpChunk.Error(c),
        from cum in U32 select (SctpChunk)new SctpChunk.Shutdown(cum),
        Gen.Constant((SctpChunk)new SctpChunk.ShutdownAck()),
        Gen.Constant((SctpChunk)new SctpChunk.CookieAck()),
        from t in B select (SctpChunk)new SctpChunk.ShutdownComplete(t),
        from c in Bytes(50) select (SctpChunk)new SctpChunk.CookieEcho(c),
        from cum in U32 from s in Gen.ListOf(from a in U16 from b in U16 select new StreamSsn(a, b)).Select(l => l.Take(5))
        select (SctpChunk)new SctpChunk.ForwardTsn(cum, s.ToArr()),
        from a in U32 from b in U32 from c in U32 from s in Streams from r in Gen.Choose(0, 6) from full in B from x in U32 from y in U32
        from which in Gen.Choose(0, 2)
        select (SctpChunk)new SctpChunk.ReConfig(which switch
        {
            0 => Prelude.Array<ReConfigParameter>(new ReConfigParameter.OutgoingSsnResetRequest(a, b, c, s)),
            1 => Prelude.Array<ReConfigParameter>(new ReConfigParameter.IncomingSsnResetRequest(a, s), new ReConfigParameter.Response(b, (ReConfigResult)r)),
            _ => Prelude.Array<ReConfigParameter>(new ReConfigParameter.Response(b, (ReConfigResult)r, full ? x : null, full ? y : null)),
        }),
        from t in Gen.Elements<byte>(0x3F, 0x7E, 0xBB, 0xFE) from f in ArbMap.Default.GeneratorFor<byte>() from v in Bytes(13)
        select (SctpChunk)new SctpChunk.Unknown(t, f, v));

    public static Arbitrary<SctpPacket> Packets() =>
        (from sp in U16 from dp in U16 from tag in U32 from n in Gen.Choose(0, 4) from cs in Gen.ArrayOf(Chunk, n)
         select new SctpPacket(sp, dp, tag, 0, cs)).ToArbitrary();
}

public class SctpCodecProperties
{
    [Property(MaxTest = 500, Arbitrary = new[] { typeof(SctpArbs) })]
    public bool PacketsRoundTrip(SctpPacket packet)
    {
        var bytes = packet.ToBytes();
        if (!SctpPacket.ChecksumValid(bytes, acceptZero: false)) return false;
        if (!SctpPacket.TryParse(bytes, out var parsed, out _)) return false;
        return parsed with { Checksum = 0 } == packet && parsed.ToBytes().AsSpan().SequenceEqual(bytes);
    }

    [Property(MaxTest = 500, Arbitrary = new[] { typeof(SctpArbs) })]
    public bool ChunkLengthsAreConsistent(SctpPacket packet) =>
        packet.ToBytes().Length == SctpPacket.HeaderLength + packet.Chunks.Sum(c => c.PaddedLength)
        && packet.Chunks.All(c => c.PaddedLength % 4 == 0 && c.PaddedLength - c.Length < 4);

    [Property(MaxTest = 1000)]
    public bool RandomBytesNeverThrow(byte[] bytes)
    {
        var ok = SctpPacket.TryParse(bytes, out var p, out var e);
        _ = SctpPacket.ChecksumValid(bytes, true);
        return ok ? p is not null : e is not null;
    }

    [Property(MaxTest = 1000, Arbitrary = new[] { typeof(SctpArbs) })]
    public bool MutatedPacketsNeverThrow(SctpPacket packet, int position, byte value, bool truncate)
    {
        var bytes = packet.ToBytes();
        var i = (int)((uint)position % (uint)bytes.Length);
        if (truncate) bytes = bytes[..i]; else bytes[i] ^= (byte)(value | 1);
        var ok = SctpPacket.TryParse(bytes, out var p, out var e);
        if (!truncate && ok && SctpPacket.ChecksumValid(bytes, false)) return false; // a flipped bit must break the CRC
        return ok ? p is not null : e is not null;
    }

    [Property(MaxTest = 300)]
    public bool IntrinsicCrcMatchesTable(byte[] data) => Crc32c.Compute(data) == Crc32c.ComputeTable(data);
}
