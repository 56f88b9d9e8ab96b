using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Security.Cryptography;
using AesNi = System.Runtime.Intrinsics.X86.Aes;
using Sse2 = System.Runtime.Intrinsics.X86.Sse2;

namespace Functional.WebRtc.Core.Srtp;

/// <summary>
/// AES in counter mode as SRTP uses it (RFC 3711 4.1.1): keystream block j is E(k, IV + j), where the
/// 16-bit block counter lives in the low two octets of the IV (always zero in SRTP IVs, which are x * 2^16).
/// AES-128 uses AES-NI directly when the CPU has it; otherwise (and for other key sizes) one reused
/// ECB encryptor transforms a batch of counter blocks at a time. Mutable scratch: one owner at a time.
/// </summary>
internal sealed class AesCounterMode : IDisposable
{
    private const int BatchBlocks = 64;
    private readonly Vector128<byte>[]? _roundKeys;   // AES-NI path: 11 round keys
    private readonly Aes? _aes;                      // fallback path
    private readonly ICryptoTransform? _ecb;
    private readonly byte[]? _counters;
    private readonly byte[]? _keystream;

    public AesCounterMode(ReadOnlySpan<byte> key, bool allowAesNi = true)
    {
        if (key.Length is not (16 or 24 or 32)) throw new ArgumentException("AES key must be 16, 24 or 32 octets", nameof(key));
        if (allowAesNi && key.Length == 16 && AesNi.IsSupported && Sse2.IsSupported)
        {
            _roundKeys = AesGcmIntrinsics.ExpandKey128(key);
            return;
        }
        _aes = Aes.Create();
        _aes.Key = key.ToArray();
        _aes.Mode = CipherMode.ECB;
        _aes.Padding = PaddingMode.None;
        _ecb = _aes.CreateEncryptor();
        _counters = new byte[BatchBlocks * 16];
        _keystream = new byte[BatchBlocks * 16];
    }

    /// <summary>True when the keystream comes from AES-NI instructions.</summary>
    public bool UsesAesNi => _roundKeys is not null;

    /// <summary>XORs the keystream that starts at counter block <paramref name="iv"/> into <paramref name="data"/>.</summary>
    public void Xor(ReadOnlySpan<byte> iv, Span<byte> data)
    {
        if (iv.Length != 16) throw new ArgumentException("IV must be 16 octets", nameof(iv));
        if (_roundKeys is not null) XorAesNi(iv, data);
        else XorEcb(iv, data);
    }

    /// <summary>Writes the keystream itself into <paramref name="output"/>.</summary>
    public void Keystream(ReadOnlySpan<byte> iv, Span<byte> output)
    {
        output.Clear();
        Xor(iv, output);
    }

    private void XorEcb(ReadOnlySpan<byte> iv, Span<byte> data)
    {
        var counters = _counters!;
        var keystream = _keystream!;
        ushort counter = BinaryPrimitives.ReadUInt16BigEndian(iv[14..]);
        int offset = 0;
        while (offset < data.Length)
        {
            int chunk = Math.Min(data.Length - offset, BatchBlocks * 16);
            int blocks = (chunk + 15) >> 4;
            for (int b = 0; b < blocks; b++)
            {
                var block = counters.AsSpan(b * 16, 16);
                iv[..14].CopyTo(block);
                BinaryPrimitives.WriteUInt16BigEndian(block[14..], counter++);
            }
            _ecb!.TransformBlock(counters, 0, blocks * 16, keystream, 0);
            var target = data.Slice(offset, chunk);
            XorInto(target, keystream.AsSpan(0, chunk));
            offset += chunk;
        }
    }

    private static void XorInto(Span<byte> target, ReadOnlySpan<byte> keystream)
    {
        int i = 0;
        ref byte t = ref MemoryMarshal.GetReference(target);
        ref byte k = ref MemoryMarshal.GetReference(keystream);
        for (; i + 16 <= target.Length; i += 16)
            (Vector128.LoadUnsafe(ref t, (nuint)i) ^ Vector128.LoadUnsafe(ref k, (nuint)i)).StoreUnsafe(ref t, (nuint)i);
        for (; i < target.Length; i++) target[i] ^= keystream[i];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void XorAesNi(ReadOnlySpan<byte> iv, Span<byte> data)
    {
        var rk = _roundKeys!;
        Vector128<byte> k0 = rk[0], k1 = rk[1], k2 = rk[2], k3 = rk[3], k4 = rk[4], k5 = rk[5],
            k6 = rk[6], k7 = rk[7], k8 = rk[8], k9 = rk[9], k10 = rk[10];
        var ivBlock = Vector128.Create(iv).AsUInt16();
        ushort counter = BinaryPrimitives.ReadUInt16BigEndian(iv[14..]);
        ref byte d = ref MemoryMarshal.GetReference(data);
        int length = data.Length;
        int i = 0;
        for (; i + 64 <= length; i += 64)
        {
            var b0 = ivBlock.WithElement(7, BinaryPrimitives.ReverseEndianness(counter)).AsByte() ^ k0;
            var b1 = ivBlock.WithElement(7, BinaryPrimitives.ReverseEndianness((ushort)(counter + 1))).AsByte() ^ k0;
            var b2 = ivBlock.WithElement(7, BinaryPrimitives.ReverseEndianness((ushort)(counter + 2))).AsByte() ^ k0;
            var b3 = ivBlock.WithElement(7, BinaryPrimitives.ReverseEndianness((ushort)(counter + 3))).AsByte() ^ k0;
            counter += 4;
            b0 = AesNi.Encrypt(b0, k1); b1 = AesNi.Encrypt(b1, k1); b2 = AesNi.Encrypt(b2, k1); b3 = AesNi.Encrypt(b3, k1);
            b0 = AesNi.Encrypt(b0, k2); b1 = AesNi.Encrypt(b1, k2); b2 = AesNi.Encrypt(b2, k2); b3 = AesNi.Encrypt(b3, k2);
            b0 = AesNi.Encrypt(b0, k3); b1 = AesNi.Encrypt(b1, k3); b2 = AesNi.Encrypt(b2, k3); b3 = AesNi.Encrypt(b3, k3);
            b0 = AesNi.Encrypt(b0, k4); b1 = AesNi.Encrypt(b1, k4); b2 = AesNi.Encrypt(b2, k4); b3 = AesNi.Encrypt(b3, k4);
            b0 = AesNi.Encrypt(b0, k5); b1 = AesNi.Encrypt(b1, k5); b2 = AesNi.Encrypt(b2, k5); b3 = AesNi.Encrypt(b3, k5);
            b0 = AesNi.Encrypt(b0, k6); b1 = AesNi.Encrypt(b1, k6); b2 = AesNi.Encrypt(b2, k6); b3 = AesNi.Encrypt(b3, k6);
            b0 = AesNi.Encrypt(b0, k7); b1 = AesNi.Encrypt(b1, k7); b2 = AesNi.Encrypt(b2, k7); b3 = AesNi.Encrypt(b3, k7);
            b0 = AesNi.Encrypt(b0, k8); b1 = AesNi.Encrypt(b1, k8); b2 = AesNi.Encrypt(b2, k8); b3 = AesNi.Encrypt(b3, k8);
            b0 = AesNi.Encrypt(b0, k9); b1 = AesNi.Encrypt(b1, k9); b2 = AesNi.Encrypt(b2, k9); b3 = AesNi.Encrypt(b3, k9);
            b0 = AesNi.EncryptLast(b0, k10); b1 = AesNi.EncryptLast(b1, k10); b2 = AesNi.EncryptLast(b2, k10); b3 = AesNi.EncryptLast(b3, k10);
            (Vector128.LoadUnsafe(ref d, (nuint)i) ^ b0).StoreUnsafe(ref d, (nuint)i);
            (Vector128.LoadUnsafe(ref d, (nuint)(i + 16)) ^ b1).StoreUnsafe(ref d, (nuint)(i + 16));
            (Vector128.LoadUnsafe(ref d, (nuint)(i + 32)) ^ b2).StoreUnsafe(ref d, (nuint)(i + 32));
            (Vector128.LoadUnsafe(ref d, (nuint)(i + 48)) ^ b3).StoreUnsafe(ref d, (nuint)(i + 48));
        }
        for (; i < length; i += 16)
        {
            var b = ivBlock.WithElement(7, BinaryPrimitives.ReverseEndianness(counter)).AsByte() ^ k0;
            counter++;
            b = AesNi.Encrypt(b, k1); b = AesNi.Encrypt(b, k2); b = AesNi.Encrypt(b, k3); b = AesNi.Encrypt(b, k4);
            b = AesNi.Encrypt(b, k5); b = AesNi.Encrypt(b, k6); b = AesNi.Encrypt(b, k7); b = AesNi.Encrypt(b, k8);
            b = AesNi.Encrypt(b, k9); b = AesNi.EncryptLast(b, k10);
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

    public void Dispose()
    {
        _ecb?.Dispose();
        _aes?.Dispose();
        if (_roundKeys is not null) Array.Clear(_roundKeys);
    }
}
