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

    // Three independent CRC lanes hide the 3-cycle latency of the CRC32 instruction; the lanes are joined with the
    // "append LaneBytes zero bytes" operator, a linear map on the register applied by four table lookups.
    private const int LaneBytes = 128;
    private static readonly uint[] Shift = BuildShift(LaneBytes);

    private static uint[] BuildShift(int zeroBytes)
    {
        var t = BuildTableByteWise();
        var columns = new uint[32];
        for (var i = 0; i < 32; i++)
        {
            var c = 1u << i;
            for (var n = 0; n < zeroBytes; n++) c = (c >> 8) ^ t[c & 0xFF];
            columns[i] = c;
        }
        var shift = new uint[4 * 256];
        for (var k = 0; k < 4; k++)
            for (var b = 0; b < 256; b++)
            {
                uint v = 0;
                for (var bit = 0; bit < 8; bit++) if ((b & (1 << bit)) != 0) v ^= columns[8 * k + bit];
                shift[k * 256 + b] = v;
            }
        return shift;
    }

    private static uint[] BuildTableByteWise()
    {
        var t = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            var c = i;
            for (var k = 0; k < 8; k++) c = (c & 1) != 0 ? (c >> 1) ^ Polynomial : c >> 1;
            t[i] = c;
        }
        return t;
    }

    private static uint ShiftLane(uint crc)
    {
        var s = Shift;
        return s[crc & 0xFF] ^ s[256 + ((crc >> 8) & 0xFF)] ^ s[512 + ((crc >> 16) & 0xFF)] ^ s[768 + (crc >> 24)];
    }

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
        ref var start = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(data);
        for (; i + 3 * LaneBytes <= data.Length; i += 3 * LaneBytes)
        {
            ulong c1 = 0, c2 = 0;
            for (var j = i; j < i + LaneBytes; j += 8)
            {
                c = Sse42.X64.Crc32(c, System.Runtime.CompilerServices.Unsafe.ReadUnaligned<ulong>(ref System.Runtime.CompilerServices.Unsafe.Add(ref start, j)));
                c1 = Sse42.X64.Crc32(c1, System.Runtime.CompilerServices.Unsafe.ReadUnaligned<ulong>(ref System.Runtime.CompilerServices.Unsafe.Add(ref start, j + LaneBytes)));
                c2 = Sse42.X64.Crc32(c2, System.Runtime.CompilerServices.Unsafe.ReadUnaligned<ulong>(ref System.Runtime.CompilerServices.Unsafe.Add(ref start, j + 2 * LaneBytes)));
            }
            c = ShiftLane(ShiftLane((uint)c) ^ (uint)c1) ^ (uint)c2;
        }
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
