using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Functional.WebRtc.Core.Srtp;

namespace Functional.WebRtc.Transport;

/// <summary>
/// HMAC-SHA1 for AES_CM_128_HMAC_SHA1_80/32 (RFC 3711 4.2.1) through libcrypto's SHA-1 block functions, called
/// directly. Why: .NET's reused HMAC takes about 1.05 us per 1200-byte packet where SHA-1 itself needs about 0.65 us
/// (measured: SrtpAesCmBenchmarks); the rest is per-call overhead in .NET's wrapper and OpenSSL's EVP/provider layers.
/// HMAC(K, m) = H((K ^ opad) || H((K ^ ipad) || m)) (RFC 2104): the two pad blocks depend on the key alone, so they
/// are hashed once per session key and the two SHA-1 midstates are kept; each packet copies the inner midstate, hashes
/// the message into it, and finishes the outer hash with one block transform of a copy of the outer midstate. SHA1_Update and friends run OpenSSL's SHA-NI/AVX2 block code with no provider in between.
/// <para>Only on Linux, only when the libcrypto loaded is the one .NET uses (same version number, as for NativeEc),
/// and only if a self-test against .NET's HMACSHA1 passes; otherwise <see cref="Available"/> is false and
/// <see cref="Best"/> is .NET's provider.</para>
/// </summary>
public sealed unsafe class LibCryptoSrtp : ISrtpCryptoProvider
{
    public static readonly LibCryptoSrtp Instance = new();
    private LibCryptoSrtp() { }

    /// <summary>Whether the direct path may be used (false: .NET's). Tests and benchmarks may turn it off.</summary>
    internal static volatile bool Enabled = true;

    /// <summary>Whether libcrypto was found with every function needed and passed the self-test.</summary>
    public static bool Available => Enabled && loaded;

    /// <summary>Whether libcrypto was found and passed the self-test (whatever <see cref="Enabled"/> says).</summary>
    public static bool Loaded => loaded;

    /// <summary>This provider when <see cref="Available"/>, else .NET's.</summary>
    public static ISrtpCryptoProvider Best => Available ? Instance : BclSrtpCrypto.Instance;

    /// <summary>SrtpOptions with the best provider (the defaults otherwise).</summary>
    public static SrtpOptions Options(SrtpOptions? options = null) => (options ?? SrtpOptions.Default) with { Crypto = Best };

    public ISrtpHmacSha1 CreateHmacSha1(ReadOnlySpan<byte> key)
    {
        if (!loaded) throw new PlatformNotSupportedException("libcrypto's SHA-1 functions are not available");
        return new HmacSha1(key);
    }

    // SHA_CTX (openssl/sha.h): h0..h4, Nl, Nh, data[16], num: 24 unsigned ints. Slots are rounded up to 128 octets.
    private const int ShaCtxSize = 96, Slot = 128, BlockSize = 64, DigestSize = 20;

    private static readonly bool loaded;
    private static readonly delegate* unmanaged<void*, int> SHA1_Init;
    private static readonly delegate* unmanaged<void*, byte*, nuint, int> SHA1_Update;
    private static readonly delegate* unmanaged[SuppressGCTransition]<byte*, void*, int> SHA1_Final;
    private static readonly delegate* unmanaged[SuppressGCTransition]<void*, byte*, void> SHA1_Transform;

    static LibCryptoSrtp()
    {
        try
        {
            // Same library as .NET's (its handles never cross, but the versions must match to trust the behaviour).
            if (!LibCrypto.TryOpen(out var lib)) return;
            nint F(string name) => LibCrypto.Export(lib, name);
            SHA1_Init = (delegate* unmanaged<void*, int>)F("SHA1_Init");
            SHA1_Update = (delegate* unmanaged<void*, byte*, nuint, int>)F("SHA1_Update");
            SHA1_Final = (delegate* unmanaged[SuppressGCTransition]<byte*, void*, int>)F("SHA1_Final");
            SHA1_Transform = (delegate* unmanaged[SuppressGCTransition]<void*, byte*, void>)F("SHA1_Transform");
            loaded = true;
            loaded = SelfTest();
        }
        catch (Exception) { loaded = false; }
    }

    /// <summary>RFC 2202 test case 1 and a packet-sized message with a 20-octet key, against .NET's HMACSHA1.</summary>
    private static bool SelfTest()
    {
        Span<byte> mac = stackalloc byte[DigestSize];
        using (var m = new HmacSha1(Enumerable.Repeat((byte)0x0b, 20).ToArray()))
            m.Compute("Hi There"u8, mac);
        if (!mac.SequenceEqual(Convert.FromHexString("b617318655057264e28bc0b6fb378c8ef146be00"))) return false;
        var key = new byte[20];
        var message = new byte[1204];
        for (int i = 0; i < message.Length; i++) message[i] = (byte)(i * 7 + 3);
        for (int i = 0; i < key.Length; i++) key[i] = (byte)(i * 13 + 1);
        using (var m = new HmacSha1(key))
            foreach (var length in new[] { 0, 1, 55, 56, 63, 64, 65, 119, 120, 1204 })
            {
                m.Compute(message.AsSpan(0, length), mac);
                if (!mac.SequenceEqual(HMACSHA1.HashData(key, message.AsSpan(0, length)))) return false;
            }
        return true;
    }

    /// <summary>One key's two midstates and the per-packet scratch, in native memory (nothing to pin, nothing moves).</summary>
    private sealed class HmacSha1 : ISrtpHmacSha1
    {
        // Layout: inner midstate | outer midstate | working SHA_CTX | outer block.
        private const int Inner = 0, Outer = Slot, Work = 2 * Slot, Block = 3 * Slot, Size = 3 * Slot + BlockSize;
        private byte* _memory;

        public HmacSha1(ReadOnlySpan<byte> key)
        {
            _memory = (byte*)NativeMemory.AlignedAlloc(Size, 64);
            NativeMemory.Clear(_memory, Size);
            Span<byte> k = stackalloc byte[BlockSize];
            k.Clear();
            if (key.Length > BlockSize) SHA1.HashData(key, k); // RFC 2104 2: longer keys are hashed first
            else key.CopyTo(k);
            Span<byte> pad = stackalloc byte[BlockSize];
            Midstate(k, 0x36, pad, _memory + Inner);
            Midstate(k, 0x5c, pad, _memory + Outer);
            CryptographicOperations.ZeroMemory(k);
            CryptographicOperations.ZeroMemory(pad);
        }

        private static void Midstate(ReadOnlySpan<byte> key, byte xor, Span<byte> pad, byte* ctx)
        {
            for (int i = 0; i < BlockSize; i++) pad[i] = (byte)(key[i] ^ xor);
            if (SHA1_Init(ctx) != 1) throw new CryptographicException("SHA1_Init failed");
            fixed (byte* p = pad)
                if (SHA1_Update(ctx, p, BlockSize) != 1) throw new CryptographicException("SHA1_Update failed");
        }

        public void Compute(ReadOnlySpan<byte> message, Span<byte> mac)
        {
            var m = _memory;
            ObjectDisposedException.ThrowIf(m is null, this);
            if (mac.Length < DigestSize) throw new ArgumentException("the MAC needs 20 octets", nameof(mac));
            byte* work = m + Work, block = m + Block;
            // Inner: H((K ^ ipad) || message), from the kept midstate; its digest lands at the start of the outer block.
            Buffer.MemoryCopy(m + Inner, work, ShaCtxSize, ShaCtxSize);
            fixed (byte* p = message) SHA1_Update(work, p, (nuint)message.Length);
            SHA1_Final(block, work);
            // Outer: one more block after (K ^ opad): digest || 0x80 || zeros || bit length (64 + 20) * 8 (FIPS 180-4 5.1.1).
            new Span<byte>(block + DigestSize, BlockSize - DigestSize).Clear();
            block[DigestSize] = 0x80;
            BinaryPrimitives.WriteUInt64BigEndian(new Span<byte>(block + BlockSize - 8, 8), (BlockSize + DigestSize) * 8);
            Buffer.MemoryCopy(m + Outer, work, ShaCtxSize, ShaCtxSize);
            SHA1_Transform(work, block);
            // h0..h4 are host-order words in SHA_CTX; the digest is them big-endian.
            var h = new ReadOnlySpan<uint>(work, 5);
            for (int i = 0; i < 5; i++) BinaryPrimitives.WriteUInt32BigEndian(mac[(4 * i)..], h[i]);
            GC.KeepAlive(this); // the finalizer frees the memory: not before the native calls are done with it
        }

        public void Dispose()
        {
            Free();
            GC.SuppressFinalize(this);
        }

        ~HmacSha1() => Free();

        private void Free()
        {
            var m = _memory;
            if (m is null) return;
            _memory = null;
            NativeMemory.Clear(m, Size); // the midstates are as secret as the key
            NativeMemory.AlignedFree(m);
        }
    }
}
