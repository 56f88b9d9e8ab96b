using System.Buffers.Binary;
using System.Runtime.Intrinsics.X86;

namespace Functional.WebRtc.Core.Sctp;

/// <summary>
/// CRC32c (Castagnoli, reflected polynomial 0x82F63B78), the SCTP checksum (RFC 9260 Appendix A, RFC 3309).
/// Uses the SSE4.2 CRC32 instruction when present, a slicing-by-8 table otherwise.
/// </summary>
public static class Crc32c
{
    private const uint Polynomial = 0x82F63B78u;
    private static readonly uint[] Table = BuildTable();

    private static uint[] BuildTable()
    {
        var t = new uint[8 * 256];
        for (uint i = 0; i < 256; i++)
        {
            var c = i;
            for (var k = 0; k < 8; k++) c = (c & 1) != 0 ? (c >> 1) ^ Polynomial : c >> 1;
            t[i] = c;
        }
        for (var i = 0; i < 256; i++)
            for (var s = 1; s < 8; s++)
                t[s * 256 + i] = (t[(s - 1) * 256 + i] >> 8) ^ t[t[(s - 1) * 256 + i] & 0xFF];
        return t;
    }

    /// <summary>The CRC32c of <paramref name="data"/> (initial value all ones, final complement).</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => ~Update(0xFFFFFFFFu, data);

    /// <summary>Continues a running (non-complemented) CRC over more bytes.</summary>
    public static uint Update(uint crc, ReadOnlySpan<byte> data)
    {
        if (Sse42.X64.IsSupported) return UpdateSse64(crc, data);
        if (Sse42.IsSupported) return UpdateSse32(crc, data);
        return UpdateTable(crc, data);
    }

    private static uint UpdateSse64(uint crc, ReadOnlySpan<byte> data)
    {
        ulong c = crc;
        var i = 0;
        for (; i + 32 <= data.Length; i += 32)
        {
            c = Sse42.X64.Crc32(c, BinaryPrimitives.ReadUInt64LittleEndian(data[i..]));
            c = Sse42.X64.Crc32(c, BinaryPrimitives.ReadUInt64LittleEndian(data[(i + 8)..]));
            c = Sse42.X64.Crc32(c, BinaryPrimitives.ReadUInt64LittleEndian(data[(i + 16)..]));
            c = Sse42.X64.Crc32(c, BinaryPrimitives.ReadUInt64LittleEndian(data[(i + 24)..]));
        }
        for (; i + 8 <= data.Length; i += 8)
            c = Sse42.X64.Crc32(c, BinaryPrimitives.ReadUInt64LittleEndian(data[i..]));
        var r = (uint)c;
        for (; i < data.Length; i++) r = Sse42.Crc32(r, data[i]);
        return r;
    }

    private static uint UpdateSse32(uint crc, ReadOnlySpan<byte> data)
    {
        var i = 0;
        for (; i + 4 <= data.Length; i += 4) crc = Sse42.Crc32(crc, BinaryPrimitives.ReadUInt32LittleEndian(data[i..]));
        for (; i < data.Length; i++) crc = Sse42.Crc32(crc, data[i]);
        return crc;
    }

    /// <summary>The portable slicing-by-8 path (also used by tests to cross-check the intrinsic path).</summary>
    internal static uint UpdateTable(uint crc, ReadOnlySpan<byte> data)
    {
        var t = Table;
        var i = 0;
        for (; i + 8 <= data.Length; i += 8)
        {
            var lo = BinaryPrimitives.ReadUInt32LittleEndian(data[i..]) ^ crc;
            var hi = BinaryPrimitives.ReadUInt32LittleEndian(data[(i + 4)..]);
            crc = t[7 * 256 + (lo & 0xFF)] ^ t[6 * 256 + ((lo >> 8) & 0xFF)] ^ t[5 * 256 + ((lo >> 16) & 0xFF)] ^ t[4 * 256 + (lo >> 24)]
                ^ t[3 * 256 + (hi & 0xFF)] ^ t[2 * 256 + ((hi >> 8) & 0xFF)] ^ t[1 * 256 + ((hi >> 16) & 0xFF)] ^ t[hi >> 24];
        }
        for (; i < data.Length; i++) crc = (crc >> 8) ^ t[(crc ^ data[i]) & 0xFF];
        return crc;
    }

    internal static uint ComputeTable(ReadOnlySpan<byte> data) => ~UpdateTable(0xFFFFFFFFu, data);
}
