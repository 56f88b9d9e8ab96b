using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Security.Cryptography;
using AesNi = System.Runtime.Intrinsics.X86.Aes;
using Pclmul = System.Runtime.Intrinsics.X86.Pclmulqdq;
using Sse2 = System.Runtime.Intrinsics.X86.Sse2;
using Ssse3 = System.Runtime.Intrinsics.X86.Ssse3;

namespace Functional.WebRtc.Core.Srtp;

/// <summary>
/// AES-GCM (NIST SP 800-38D) with a 96-bit IV and a 16-octet tag, on AES-NI and PCLMULQDQ, for AES-128 and AES-256.
/// .NET's AesGcm pays several hundred nanoseconds of per-call overhead through OpenSSL, which dominates at SRTP packet
/// sizes; this keeps the round keys and the powers of H resident and does no allocation. Decryption verifies the tag
/// before touching the data, so a forged packet leaves the buffer as it was. Mutable scratch: one owner at a time.
/// </summary>
internal sealed class AesGcmIntrinsics : IDisposable
{
    public const int TagSize = 16;
    private readonly Vector128<byte>[] _rk;
    private readonly int _rounds;
    private readonly Vector128<byte> _h1, _h2, _h3, _h4; // powers of H, byte-reflected

    public static bool IsSupported => AesNi.IsSupported && Pclmul.IsSupported && Ssse3.IsSupported && Sse2.IsSupported;

    public AesGcmIntrinsics(ReadOnlySpan<byte> key)
    {
        if (!IsSupported) throw new PlatformNotSupportedException("AES-NI and PCLMULQDQ are required");
        (_rk, _rounds) = key.Length switch
        {
            16 => (ExpandKey128(key), 10),
            32 => (ExpandKey256(key), 14),
            _ => throw new ArgumentException("AES-GCM key must be 16 or 32 octets", nameof(key)),
        };
        var h = ByteSwap(EncryptBlock(Vector128<byte>.Zero));
        _h1 = h;
        _h2 = GfMul(_h1, h);
        _h3 = GfMul(_h2, h);
        _h4 = GfMul(_h3, h);
    }

    private static readonly Vector128<byte> ReverseBytes = Vector128.Create((byte)15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> ByteSwap(Vector128<byte> v) => Ssse3.Shuffle(v, ReverseBytes);

    /// <summary>Encrypts <paramref name="data"/> in place and writes the tag.</summary>
    public void Encrypt(ReadOnlySpan<byte> nonce, Span<byte> data, Span<byte> tag, ReadOnlySpan<byte> aad)
    {
        var j0 = InitialCounter(nonce);
        Ctr(j0, data);
        ComputeTag(j0, aad, data, tag);
    }

    /// <summary>Checks the tag over aad and ciphertext; only when it matches, decrypts <paramref name="data"/> in place.</summary>
    public bool Decrypt(ReadOnlySpan<byte> nonce, Span<byte> data, ReadOnlySpan<byte> tag, ReadOnlySpan<byte> aad)
    {
        var j0 = InitialCounter(nonce);
        Span<byte> expected = stackalloc byte[TagSize];
        ComputeTag(j0, aad, data, expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, tag)) return false;
        Ctr(j0, data);
        return true;
    }

    private static Vector128<byte> InitialCounter(ReadOnlySpan<byte> nonce)
    {
        if (nonce.Length != 12) throw new ArgumentException("nonce must be 12 octets", nameof(nonce));
        Span<byte> j0 = stackalloc byte[16];
        nonce.CopyTo(j0);
        j0[15] = 1; // J0 = IV || 0^31 || 1
        return Vector128.Create((ReadOnlySpan<byte>)j0);
    }

    private void ComputeTag(Vector128<byte> j0, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> ciphertext, Span<byte> tag)
    {
        var y = Vector128<byte>.Zero;
        y = Ghash(y, aad);
        y = Ghash(y, ciphertext);
        // len(A) || len(C) in bits, 64 bits each, big-endian; then byte-reflected like every GHASH input.
        // ByteSwap(BE64(len A) || BE64(len C)) is LE64(len C) || LE64(len A).
        var lengths = Vector128.Create((ulong)ciphertext.Length * 8, (ulong)aad.Length * 8).AsByte();
        y = GfMul(y ^ lengths, _h1);
        var s = ByteSwap(y) ^ EncryptBlock(j0);
        s.CopyTo(tag);
    }

    /// <summary>Y := GHASH_H continued over data, zero-padded to whole blocks (SP 800-38D 6.4).</summary>
    private Vector128<byte> Ghash(Vector128<byte> y, ReadOnlySpan<byte> data)
    {
        ref byte d = ref MemoryMarshal.GetReference(data);
        int length = data.Length, i = 0;
        Vector128<byte> h1 = _h1, h2 = _h2, h3 = _h3, h4 = _h4;
        for (; i + 64 <= length; i += 64)
        {
            var x0 = ByteSwap(Vector128.LoadUnsafe(ref d, (nuint)i)) ^ y;
            var x1 = ByteSwap(Vector128.LoadUnsafe(ref d, (nuint)(i + 16)));
            var x2 = ByteSwap(Vector128.LoadUnsafe(ref d, (nuint)(i + 32)));
            var x3 = ByteSwap(Vector128.LoadUnsafe(ref d, (nuint)(i + 48)));
            MulAccumulate(x0, h4, out var lo, out var hi);
            MulAdd(x1, h3, ref lo, ref hi);
            MulAdd(x2, h2, ref lo, ref hi);
            MulAdd(x3, h1, ref lo, ref hi);
            y = Reduce(lo, hi);
        }
        for (; i + 16 <= length; i += 16)
            y = GfMul(y ^ ByteSwap(Vector128.LoadUnsafe(ref d, (nuint)i)), h1);
        if (i < length) y = GfMul(y ^ ByteSwap(LoadPartial(data[i..])), h1);
        return y;
    }

    private static Vector128<byte> LoadPartial(ReadOnlySpan<byte> tail)
    {
        Span<byte> block = stackalloc byte[16];
        block.Clear();
        tail.CopyTo(block);
        return Vector128.Create((ReadOnlySpan<byte>)block);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MulAccumulate(Vector128<byte> a, Vector128<byte> b, out Vector128<byte> lo, out Vector128<byte> hi)
    {
        var x = a.AsUInt64();
        var z = b.AsUInt64();
        var l = Pclmul.CarrylessMultiply(x, z, 0x00);
        var h = Pclmul.CarrylessMultiply(x, z, 0x11);
        var m = Pclmul.CarrylessMultiply(x, z, 0x01) ^ Pclmul.CarrylessMultiply(x, z, 0x10);
        lo = l.AsByte() ^ Sse2.ShiftLeftLogical128BitLane(m.AsByte(), 8);
        hi = h.AsByte() ^ Sse2.ShiftRightLogical128BitLane(m.AsByte(), 8);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MulAdd(Vector128<byte> a, Vector128<byte> b, ref Vector128<byte> lo, ref Vector128<byte> hi)
    {
        MulAccumulate(a, b, out var l, out var h);
        lo ^= l;
        hi ^= h;
    }

    private static Vector128<byte> GfMul(Vector128<byte> a, Vector128<byte> b)
    {
        MulAccumulate(a, b, out var lo, out var hi);
        return Reduce(lo, hi);
    }

    /// <summary>
    /// Reduces the 256-bit carry-less product hi:lo of two byte-reflected operands modulo x^128 + x^7 + x^2 + x + 1:
    /// shift left by one bit (the reflection), then the two-phase shift-and-xor reduction.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Reduce(Vector128<byte> lo, Vector128<byte> hi)
    {
        var l = lo.AsUInt32();
        var h = hi.AsUInt32();
        var carryLo = Sse2.ShiftRightLogical(l, 31);
        var carryHi = Sse2.ShiftRightLogical(h, 31);
        l = Sse2.ShiftLeftLogical(l, 1);
        h = Sse2.ShiftLeftLogical(h, 1);
        var crossing = Sse2.ShiftRightLogical128BitLane(carryLo.AsByte(), 12).AsUInt32();
        carryHi = Sse2.ShiftLeftLogical128BitLane(carryHi.AsByte(), 4).AsUInt32();
        carryLo = Sse2.ShiftLeftLogical128BitLane(carryLo.AsByte(), 4).AsUInt32();
        l |= carryLo;
        h |= carryHi | crossing;

        var a = Sse2.ShiftLeftLogical(l, 31) ^ Sse2.ShiftLeftLogical(l, 30) ^ Sse2.ShiftLeftLogical(l, 25);
        var spill = Sse2.ShiftRightLogical128BitLane(a.AsByte(), 4).AsUInt32();
        a = Sse2.ShiftLeftLogical128BitLane(a.AsByte(), 12).AsUInt32();
        l ^= a;
        var b = Sse2.ShiftRightLogical(l, 1) ^ Sse2.ShiftRightLogical(l, 2) ^ Sse2.ShiftRightLogical(l, 7) ^ spill;
        l ^= b;
        return (h ^ l).AsByte();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Vector128<byte> EncryptBlock(Vector128<byte> block)
    {
        var rk = _rk;
        var b = block ^ rk[0];
        for (int r = 1; r < _rounds; r++) b = AesNi.Encrypt(b, rk[r]);
        return AesNi.EncryptLast(b, rk[_rounds]);
    }

    /// <summary>GCTR from inc32(J0): counter block i is IV || BE32(2 + i).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Ctr(Vector128<byte> j0, Span<byte> data)
    {
        var rk = _rk;
        int rounds = _rounds;
        var k0 = rk[0];
        var klast = rk[rounds];
        var baseBlock = j0.AsUInt32();
        uint counter = 2;
        ref byte d = ref MemoryMarshal.GetReference(data);
        int length = data.Length, i = 0;
        for (; i + 64 <= length; i += 64)
        {
            var b0 = baseBlock.WithElement(3, BinaryPrimitives.ReverseEndianness(counter)).AsByte() ^ k0;
            var b1 = baseBlock.WithElement(3, BinaryPrimitives.ReverseEndianness(counter + 1)).AsByte() ^ k0;
            var b2 = baseBlock.WithElement(3, BinaryPrimitives.ReverseEndianness(counter + 2)).AsByte() ^ k0;
            var b3 = baseBlock.WithElement(3, BinaryPrimitives.ReverseEndianness(counter + 3)).AsByte() ^ k0;
            counter += 4;
            for (int r = 1; r < rounds; r++)
            {
                var k = rk[r];
                b0 = AesNi.Encrypt(b0, k); b1 = AesNi.Encrypt(b1, k); b2 = AesNi.Encrypt(b2, k); b3 = AesNi.Encrypt(b3, k);
            }
            b0 = AesNi.EncryptLast(b0, klast); b1 = AesNi.EncryptLast(b1, klast);
            b2 = AesNi.EncryptLast(b2, klast); b3 = AesNi.EncryptLast(b3, klast);
            (Vector128.LoadUnsafe(ref d, (nuint)i) ^ b0).StoreUnsafe(ref d, (nuint)i);
            (Vector128.LoadUnsafe(ref d, (nuint)(i + 16)) ^ b1).StoreUnsafe(ref d, (nuint)(i + 16));
            (Vector128.LoadUnsafe(ref d, (nuint)(i + 32)) ^ b2).StoreUnsafe(ref d, (nuint)(i + 32));
            (Vector128.LoadUnsafe(ref d, (nuint)(i + 48)) ^ b3).StoreUnsafe(ref d, (nuint)(i + 48));
        }
        for (; i < length; i += 16)
        {
            var b = EncryptBlock(baseBlock.WithElement(3, BinaryPrimitives.ReverseEndianness(counter)).AsByte());
            counter++;
            if (i + 16 <= length) (Vector128.LoadUnsafe(ref d, (nuint)i) ^ b).StoreUnsafe(ref d, (nuint)i);
            else XorTail(data[i..], b);
        }
    }

    private static void XorTail(Span<byte> tail, Vector128<byte> keystream)
    {
        Span<byte> block = stackalloc byte[16];
        keystream.CopyTo(block);
        for (int j = 0; j < tail.Length; j++) tail[j] ^= block[j];
    }

    internal static Vector128<byte>[] ExpandKey128(ReadOnlySpan<byte> key)
    {
        var rk = new Vector128<byte>[11];
        rk[0] = Vector128.Create(key);
        rk[1] = Next(rk[0], AesNi.KeygenAssist(rk[0], 0x01));
        rk[2] = Next(rk[1], AesNi.KeygenAssist(rk[1], 0x02));
        rk[3] = Next(rk[2], AesNi.KeygenAssist(rk[2], 0x04));
        rk[4] = Next(rk[3], AesNi.KeygenAssist(rk[3], 0x08));
        rk[5] = Next(rk[4], AesNi.KeygenAssist(rk[4], 0x10));
        rk[6] = Next(rk[5], AesNi.KeygenAssist(rk[5], 0x20));
        rk[7] = Next(rk[6], AesNi.KeygenAssist(rk[6], 0x40));
        rk[8] = Next(rk[7], AesNi.KeygenAssist(rk[7], 0x80));
        rk[9] = Next(rk[8], AesNi.KeygenAssist(rk[8], 0x1B));
        rk[10] = Next(rk[9], AesNi.KeygenAssist(rk[9], 0x36));
        return rk;
    }

    /// <summary>AES-256 key schedule: even round keys use RotWord+SubWord+Rcon, odd ones SubWord only (FIPS-197 5.2).</summary>
    internal static Vector128<byte>[] ExpandKey256(ReadOnlySpan<byte> key)
    {
        var rk = new Vector128<byte>[15];
        rk[0] = Vector128.Create(key[..16]);
        rk[1] = Vector128.Create(key[16..]);
        rk[2] = Next(rk[0], AesNi.KeygenAssist(rk[1], 0x01));
        rk[3] = NextOdd(rk[1], AesNi.KeygenAssist(rk[2], 0x00));
        rk[4] = Next(rk[2], AesNi.KeygenAssist(rk[3], 0x02));
        rk[5] = NextOdd(rk[3], AesNi.KeygenAssist(rk[4], 0x00));
        rk[6] = Next(rk[4], AesNi.KeygenAssist(rk[5], 0x04));
        rk[7] = NextOdd(rk[5], AesNi.KeygenAssist(rk[6], 0x00));
        rk[8] = Next(rk[6], AesNi.KeygenAssist(rk[7], 0x08));
        rk[9] = NextOdd(rk[7], AesNi.KeygenAssist(rk[8], 0x00));
        rk[10] = Next(rk[8], AesNi.KeygenAssist(rk[9], 0x10));
        rk[11] = NextOdd(rk[9], AesNi.KeygenAssist(rk[10], 0x00));
        rk[12] = Next(rk[10], AesNi.KeygenAssist(rk[11], 0x20));
        rk[13] = NextOdd(rk[11], AesNi.KeygenAssist(rk[12], 0x00));
        rk[14] = Next(rk[12], AesNi.KeygenAssist(rk[13], 0x40));
        return rk;
    }

    private static Vector128<byte> Next(Vector128<byte> previous, Vector128<byte> assist) =>
        Fold(previous, Sse2.Shuffle(assist.AsInt32(), 0xFF).AsByte());

    private static Vector128<byte> NextOdd(Vector128<byte> previous, Vector128<byte> assist) =>
        Fold(previous, Sse2.Shuffle(assist.AsInt32(), 0xAA).AsByte());

    /// <summary>w[i] = w[i-N] ^ temp, for the four words of a round key at once.</summary>
    private static Vector128<byte> Fold(Vector128<byte> previous, Vector128<byte> t)
    {
        var k = previous;
        k ^= Sse2.ShiftLeftLogical128BitLane(k, 4);
        k ^= Sse2.ShiftLeftLogical128BitLane(k, 4);
        k ^= Sse2.ShiftLeftLogical128BitLane(k, 4);
        return k ^ t;
    }

    public void Dispose() => Array.Clear(_rk);
}
