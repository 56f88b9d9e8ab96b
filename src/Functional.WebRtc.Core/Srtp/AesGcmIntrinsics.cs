using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Security.Cryptography;
using AesNi = System.Runtime.Intrinsics.X86.Aes;
using Pclmul = System.Runtime.Intrinsics.X86.Pclmulqdq;
using Sse2 = System.Runtime.Intrinsics.X86.Sse2;
using Ssse3 = System.Runtime.Intrinsics.X86.Ssse3;
using Avx512BW = System.Runtime.Intrinsics.X86.Avx512BW;
using Avx512F = System.Runtime.Intrinsics.X86.Avx512F;

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
    private readonly Vector128<byte> _h1, _h2, _h3, _h4; // powers of H (times x), byte-reflected
    private readonly Vector128<byte> _k1, _k2, _k3, _k4; // their Karatsuba folds: low qword = high ^ low
    // H^16..H^1 (times x) four to a 512-bit vector, and their folds, for VPCLMULQDQ (16 blocks per reduction).
    private readonly Vector512<ulong>[]? _wide;
    private static readonly bool Wide = Pclmul.V512.IsSupported && Avx512BW.IsSupported && Avx512F.IsSupported;

    /// <summary>True when this CPU gets the 16-block VPCLMULQDQ GHASH.</summary>
    public bool UsesWideGhash => _wide is not null;

    public static bool IsSupported => AesNi.IsSupported && Pclmul.IsSupported && Ssse3.IsSupported && Sse2.IsSupported;

    /// <param name="key">16 or 32 octets.</param>
    /// <param name="allowWide">Use VPCLMULQDQ on 512-bit vectors when present (tests turn it off to cover the 128-bit path).</param>
    public AesGcmIntrinsics(ReadOnlySpan<byte> key, bool allowWide = true)
    {
        if (!IsSupported) throw new PlatformNotSupportedException("AES-NI and PCLMULQDQ are required");
        (_rk, _rounds) = key.Length switch
        {
            16 => (ExpandKey128(key), 10),
            32 => (ExpandKey256(key), 14),
            _ => throw new ArgumentException("AES-GCM key must be 16 or 32 octets", nameof(key)),
        };
        // Keep H * x (mod P) instead of H: then the reflected carry-less product needs no 1-bit shift, and
        // Mul(a, b * x) = a * b. Powers follow as Mul(H^k * x, H * x) = H^(k+1) * x.
        _h1 = TimesX(ByteSwap(EncryptBlock(Vector128<byte>.Zero)));
        _h2 = GfMul(_h1, _h1);
        _h3 = GfMul(_h2, _h1);
        _h4 = GfMul(_h3, _h1);
        (_k1, _k2, _k3, _k4) = (Fold(_h1), Fold(_h2), Fold(_h3), Fold(_h4));
        if (Wide && allowWide)
        {
            var powers = new Vector128<byte>[17];
            powers[1] = _h1;
            for (int k = 2; k <= 16; k++) powers[k] = GfMul(powers[k - 1], _h1);
            _wide = new Vector512<ulong>[8];
            for (int v = 0; v < 4; v++)
            {
                // Vector v holds the powers for blocks 4v..4v+3 of 16: H^(16-4v), ..., H^(13-4v).
                int top = 16 - 4 * v;
                var vec = Vector512.Create(Vector256.Create(powers[top], powers[top - 1]), Vector256.Create(powers[top - 2], powers[top - 3]));
                _wide[v] = vec.AsUInt64();
                _wide[4 + v] = Fold512(vec.AsUInt64());
            }
        }
    }

    private static readonly Vector128<byte> ReverseBytes = Vector128.Create((byte)15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> ByteSwap(Vector128<byte> v) => Ssse3.Shuffle(v, ReverseBytes);

    /// <summary>Encrypts <paramref name="data"/> in place and writes the tag.</summary>
    public void Encrypt(ReadOnlySpan<byte> nonce, Span<byte> data, Span<byte> tag, ReadOnlySpan<byte> aad)
    {
        var j0 = InitialCounter(nonce);
        var y = Ghash(Vector128<byte>.Zero, aad);
        y = CryptAndHash(j0, data, y, encrypting: true);
        Finish(j0, y, aad.Length, data.Length, tag);
    }

    /// <summary>Checks the tag over aad and ciphertext; only when it matches, decrypts <paramref name="data"/> in place.</summary>
    public bool Decrypt(ReadOnlySpan<byte> nonce, Span<byte> data, ReadOnlySpan<byte> tag, ReadOnlySpan<byte> aad)
    {
        var j0 = InitialCounter(nonce);
        var y = Ghash(Vector128<byte>.Zero, aad);
        y = CryptAndHash(j0, data, y, encrypting: false);
        Span<byte> expected = stackalloc byte[TagSize];
        Finish(j0, y, aad.Length, data.Length, expected);
        if (CryptographicOperations.FixedTimeEquals(expected, tag)) return true;
        Ctr(j0, data); // forged: put the ciphertext back (XOR with the same keystream) so the buffer is as it came
        return false;
    }

    private static Vector128<byte> InitialCounter(ReadOnlySpan<byte> nonce)
    {
        if (nonce.Length != 12) throw new ArgumentException("nonce must be 12 octets", nameof(nonce));
        Span<byte> j0 = stackalloc byte[16];
        nonce.CopyTo(j0);
        j0[15] = 1; // J0 = IV || 0^31 || 1
        return Vector128.Create((ReadOnlySpan<byte>)j0);
    }

    private void Finish(Vector128<byte> j0, Vector128<byte> y, int aadLength, int dataLength, Span<byte> tag)
    {
        // ByteSwap(BE64(len A) || BE64(len C)) is LE64(len C) || LE64(len A), lengths in bits.
        var lengths = Vector128.Create((ulong)dataLength * 8, (ulong)aadLength * 8).AsByte();
        y = GfMul(y ^ lengths, _h1);
        (ByteSwap(y) ^ EncryptBlock(j0)).CopyTo(tag);
    }

    /// <summary>
    /// GCTR over data in place from inc32(J0), hashing the ciphertext side into Y as it goes (the input when
    /// decrypting, the output when encrypting), four blocks at a time so AES and carry-less multiplies overlap.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private Vector128<byte> CryptAndHash(Vector128<byte> j0, Span<byte> data, Vector128<byte> y, bool encrypting)
    {
        var rk = _rk;
        int rounds = _rounds;
        var k0 = rk[0];
        var klast = rk[rounds];
        var baseBlock = j0.AsUInt32();
        uint counter = 2;
        Vector128<byte> h1 = _h1, h2 = _h2, h3 = _h3, h4 = _h4, f1 = _k1, f2 = _k2, f3 = _k3, f4 = _k4;
        ref byte d = ref MemoryMarshal.GetReference(data);
        int length = data.Length, i = 0;
        if (_wide is { } wide)
        {
            for (; i + 256 <= length; i += 256)
            {
                if (!encrypting) y = Hash16(y, ref d, i, wide);
                CtrFrom(baseBlock, counter, data.Slice(i, 256));
                counter += 16;
                if (encrypting) y = Hash16(y, ref d, i, wide);
            }
        }
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
            var in0 = Vector128.LoadUnsafe(ref d, (nuint)i);
            var in1 = Vector128.LoadUnsafe(ref d, (nuint)(i + 16));
            var in2 = Vector128.LoadUnsafe(ref d, (nuint)(i + 32));
            var in3 = Vector128.LoadUnsafe(ref d, (nuint)(i + 48));
            var o0 = in0 ^ b0; var o1 = in1 ^ b1; var o2 = in2 ^ b2; var o3 = in3 ^ b3;
            o0.StoreUnsafe(ref d, (nuint)i);
            o1.StoreUnsafe(ref d, (nuint)(i + 16));
            o2.StoreUnsafe(ref d, (nuint)(i + 32));
            o3.StoreUnsafe(ref d, (nuint)(i + 48));
            if (encrypting) { in0 = o0; in1 = o1; in2 = o2; in3 = o3; }
            y = Hash4(y, in0, in1, in2, in3, h1, h2, h3, h4, f1, f2, f3, f4);
        }
        if (i < length)
        {
            var rest = data[i..];
            if (!encrypting) y = Ghash(y, rest);
            CtrFrom(baseBlock, counter, rest);
            if (encrypting) y = Ghash(y, rest);
        }
        return y;
    }

    /// <summary>Y := (((Y ^ X0) H ^ X1) H ^ X2) H ^ X3) H as one aggregated Karatsuba product and one reduction.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Hash4(Vector128<byte> y, Vector128<byte> c0, Vector128<byte> c1, Vector128<byte> c2, Vector128<byte> c3,
        Vector128<byte> h1, Vector128<byte> h2, Vector128<byte> h3, Vector128<byte> h4,
        Vector128<byte> f1, Vector128<byte> f2, Vector128<byte> f3, Vector128<byte> f4)
    {
        var x0 = (ByteSwap(c0) ^ y).AsUInt64();
        var x1 = ByteSwap(c1).AsUInt64();
        var x2 = ByteSwap(c2).AsUInt64();
        var x3 = ByteSwap(c3).AsUInt64();
        var lo = Pclmul.CarrylessMultiply(x0, h4.AsUInt64(), 0x00) ^ Pclmul.CarrylessMultiply(x1, h3.AsUInt64(), 0x00)
               ^ Pclmul.CarrylessMultiply(x2, h2.AsUInt64(), 0x00) ^ Pclmul.CarrylessMultiply(x3, h1.AsUInt64(), 0x00);
        var hi = Pclmul.CarrylessMultiply(x0, h4.AsUInt64(), 0x11) ^ Pclmul.CarrylessMultiply(x1, h3.AsUInt64(), 0x11)
               ^ Pclmul.CarrylessMultiply(x2, h2.AsUInt64(), 0x11) ^ Pclmul.CarrylessMultiply(x3, h1.AsUInt64(), 0x11);
        var mid = Pclmul.CarrylessMultiply(Fold(x0.AsByte()).AsUInt64(), f4.AsUInt64(), 0x00)
                ^ Pclmul.CarrylessMultiply(Fold(x1.AsByte()).AsUInt64(), f3.AsUInt64(), 0x00)
                ^ Pclmul.CarrylessMultiply(Fold(x2.AsByte()).AsUInt64(), f2.AsUInt64(), 0x00)
                ^ Pclmul.CarrylessMultiply(Fold(x3.AsByte()).AsUInt64(), f1.AsUInt64(), 0x00);
        mid ^= lo ^ hi;
        var l = lo.AsByte() ^ Sse2.ShiftLeftLogical128BitLane(mid.AsByte(), 8);
        var h = hi.AsByte() ^ Sse2.ShiftRightLogical128BitLane(mid.AsByte(), 8);
        return Reduce(l, h);
    }

    private static readonly Vector512<byte> ReverseBytes512 =
        Vector512.Create(Vector256.Create(ReverseBytes, ReverseBytes), Vector256.Create(ReverseBytes, ReverseBytes));

    /// <summary>Y := GHASH over the 16 blocks at data[i..i+256): one VPCLMULQDQ Karatsuba product per 4 blocks, one reduction.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Hash16(Vector128<byte> y, ref byte d, int i, Vector512<ulong>[] wide)
    {
        var first = Vector512.Create(Vector256.Create(y, Vector128<byte>.Zero), Vector256<byte>.Zero);
        var x0 = (Avx512BW.Shuffle(Vector512.LoadUnsafe(ref d, (nuint)i), ReverseBytes512) ^ first).AsUInt64();
        var x1 = Avx512BW.Shuffle(Vector512.LoadUnsafe(ref d, (nuint)(i + 64)), ReverseBytes512).AsUInt64();
        var x2 = Avx512BW.Shuffle(Vector512.LoadUnsafe(ref d, (nuint)(i + 128)), ReverseBytes512).AsUInt64();
        var x3 = Avx512BW.Shuffle(Vector512.LoadUnsafe(ref d, (nuint)(i + 192)), ReverseBytes512).AsUInt64();
        Vector512<ulong> p0 = wide[0], p1 = wide[1], p2 = wide[2], p3 = wide[3];
        var lo = Pclmul.V512.CarrylessMultiply(x0, p0, 0x00) ^ Pclmul.V512.CarrylessMultiply(x1, p1, 0x00)
               ^ Pclmul.V512.CarrylessMultiply(x2, p2, 0x00) ^ Pclmul.V512.CarrylessMultiply(x3, p3, 0x00);
        var hi = Pclmul.V512.CarrylessMultiply(x0, p0, 0x11) ^ Pclmul.V512.CarrylessMultiply(x1, p1, 0x11)
               ^ Pclmul.V512.CarrylessMultiply(x2, p2, 0x11) ^ Pclmul.V512.CarrylessMultiply(x3, p3, 0x11);
        var mid = Pclmul.V512.CarrylessMultiply(Fold512(x0), wide[4], 0x00) ^ Pclmul.V512.CarrylessMultiply(Fold512(x1), wide[5], 0x00)
                ^ Pclmul.V512.CarrylessMultiply(Fold512(x2), wide[6], 0x00) ^ Pclmul.V512.CarrylessMultiply(Fold512(x3), wide[7], 0x00);
        var l = Lanes(lo);
        var h = Lanes(hi);
        var m = Lanes(mid) ^ l ^ h;
        return Reduce(l.AsByte() ^ Sse2.ShiftLeftLogical128BitLane(m.AsByte(), 8), h.AsByte() ^ Sse2.ShiftRightLogical128BitLane(m.AsByte(), 8));
    }

    /// <summary>The XOR of the four 128-bit lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> Lanes(Vector512<ulong> v)
    {
        var half = v.GetLower() ^ v.GetUpper();
        return half.GetLower() ^ half.GetUpper();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<ulong> Fold512(Vector512<ulong> v) => v ^ Avx512F.Shuffle(v.AsUInt32(), 0x4E).AsUInt64();

    /// <summary>v with its two 64-bit halves XORed into the low one (the Karatsuba middle operand).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Fold(Vector128<byte> v) => v ^ Sse2.Shuffle(v.AsUInt32(), 0x4E).AsByte();

    /// <summary>Y := GHASH_H continued over data, zero-padded to whole blocks (SP 800-38D 6.4).</summary>
    private Vector128<byte> Ghash(Vector128<byte> y, ReadOnlySpan<byte> data)
    {
        ref byte d = ref MemoryMarshal.GetReference(data);
        int length = data.Length, i = 0;
        Vector128<byte> h1 = _h1;
        if (_wide is { } wide)
            for (; i + 256 <= length; i += 256)
                y = Hash16(y, ref d, i, wide);
        for (; i + 64 <= length; i += 64)
            y = Hash4(y, Vector128.LoadUnsafe(ref d, (nuint)i), Vector128.LoadUnsafe(ref d, (nuint)(i + 16)),
                Vector128.LoadUnsafe(ref d, (nuint)(i + 32)), Vector128.LoadUnsafe(ref d, (nuint)(i + 48)),
                _h1, _h2, _h3, _h4, _k1, _k2, _k3, _k4);
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

    private static Vector128<byte> GfMul(Vector128<byte> a, Vector128<byte> b)
    {
        MulAccumulate(a, b, out var lo, out var hi);
        return Reduce(lo, hi);
    }

    /// <summary>x^128 + x^7 + x^2 + x + 1 in the reflected domain, as the constant the reduction multiplies by.</summary>
    private static readonly Vector128<ulong> Poly = Vector128.Create(1UL, 0xC200000000000000UL);

    /// <summary>h * x mod P for a reflected h: a 128-bit left shift by one, folding the bit shifted out back in with P.</summary>
    private static Vector128<byte> TimesX(Vector128<byte> h)
    {
        var v = h.AsUInt32();
        var top = Sse2.ShiftRightArithmetic(Sse2.Shuffle(v.AsInt32(), 0xFF), 31).AsUInt32() & Poly.AsUInt32();
        var carries = Sse2.ShiftLeftLogical128BitLane(Sse2.ShiftRightLogical(v, 31).AsByte(), 4).AsUInt32();
        return (Sse2.ShiftLeftLogical(v, 1) ^ carries ^ top).AsByte();
    }

    /// <summary>
    /// Reduces the 256-bit carry-less product hi:lo (of a reflected operand and an H * x power) modulo P with two
    /// folding multiplications by P's high half.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Reduce(Vector128<byte> lo, Vector128<byte> hi)
    {
        var l = lo.AsUInt64();
        var t = Pclmul.CarrylessMultiply(Poly, l, 0x01);
        l = Sse2.Shuffle(l.AsUInt32(), 0x4E).AsUInt64() ^ t;
        t = Pclmul.CarrylessMultiply(Poly, l, 0x01);
        l = Sse2.Shuffle(l.AsUInt32(), 0x4E).AsUInt64() ^ t;
        return l.AsByte() ^ hi;
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
    private void Ctr(Vector128<byte> j0, Span<byte> data) => CtrFrom(j0.AsUInt32(), 2, data);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void CtrFrom(Vector128<uint> baseBlock, uint counter, Span<byte> data)
    {
        var rk = _rk;
        int rounds = _rounds;
        var k0 = rk[0];
        var klast = rk[rounds];
        ref byte d = ref MemoryMarshal.GetReference(data);
        int length = data.Length, i = 0;
        // Eight blocks in flight: AESENC's latency, not its throughput, bounds fewer.
        for (; i + 128 <= length; i += 128)
        {
            var b0 = baseBlock.WithElement(3, BinaryPrimitives.ReverseEndianness(counter)).AsByte() ^ k0;
            var b1 = baseBlock.WithElement(3, BinaryPrimitives.ReverseEndianness(counter + 1)).AsByte() ^ k0;
            var b2 = baseBlock.WithElement(3, BinaryPrimitives.ReverseEndianness(counter + 2)).AsByte() ^ k0;
            var b3 = baseBlock.WithElement(3, BinaryPrimitives.ReverseEndianness(counter + 3)).AsByte() ^ k0;
            var b4 = baseBlock.WithElement(3, BinaryPrimitives.ReverseEndianness(counter + 4)).AsByte() ^ k0;
            var b5 = baseBlock.WithElement(3, BinaryPrimitives.ReverseEndianness(counter + 5)).AsByte() ^ k0;
            var b6 = baseBlock.WithElement(3, BinaryPrimitives.ReverseEndianness(counter + 6)).AsByte() ^ k0;
            var b7 = baseBlock.WithElement(3, BinaryPrimitives.ReverseEndianness(counter + 7)).AsByte() ^ k0;
            counter += 8;
            for (int r = 1; r < rounds; r++)
            {
                var k = rk[r];
                b0 = AesNi.Encrypt(b0, k); b1 = AesNi.Encrypt(b1, k); b2 = AesNi.Encrypt(b2, k); b3 = AesNi.Encrypt(b3, k);
                b4 = AesNi.Encrypt(b4, k); b5 = AesNi.Encrypt(b5, k); b6 = AesNi.Encrypt(b6, k); b7 = AesNi.Encrypt(b7, k);
            }
            b0 = AesNi.EncryptLast(b0, klast); b1 = AesNi.EncryptLast(b1, klast);
            b2 = AesNi.EncryptLast(b2, klast); b3 = AesNi.EncryptLast(b3, klast);
            b4 = AesNi.EncryptLast(b4, klast); b5 = AesNi.EncryptLast(b5, klast);
            b6 = AesNi.EncryptLast(b6, klast); b7 = AesNi.EncryptLast(b7, klast);
            (Vector128.LoadUnsafe(ref d, (nuint)i) ^ b0).StoreUnsafe(ref d, (nuint)i);
            (Vector128.LoadUnsafe(ref d, (nuint)(i + 16)) ^ b1).StoreUnsafe(ref d, (nuint)(i + 16));
            (Vector128.LoadUnsafe(ref d, (nuint)(i + 32)) ^ b2).StoreUnsafe(ref d, (nuint)(i + 32));
            (Vector128.LoadUnsafe(ref d, (nuint)(i + 48)) ^ b3).StoreUnsafe(ref d, (nuint)(i + 48));
            (Vector128.LoadUnsafe(ref d, (nuint)(i + 64)) ^ b4).StoreUnsafe(ref d, (nuint)(i + 64));
            (Vector128.LoadUnsafe(ref d, (nuint)(i + 80)) ^ b5).StoreUnsafe(ref d, (nuint)(i + 80));
            (Vector128.LoadUnsafe(ref d, (nuint)(i + 96)) ^ b6).StoreUnsafe(ref d, (nuint)(i + 96));
            (Vector128.LoadUnsafe(ref d, (nuint)(i + 112)) ^ b7).StoreUnsafe(ref d, (nuint)(i + 112));
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

    public void Dispose()
    {
        Array.Clear(_rk);
        if (_wide is not null) Array.Clear(_wide);
    }
}
