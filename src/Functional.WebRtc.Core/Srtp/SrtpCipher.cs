using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Functional.WebRtc.Core.Srtp;

/// <summary>
/// The per-packet transforms of one direction's session keys. Works in place on a packet buffer; holds reused
/// cipher and MAC objects (mutable scratch, one owner). Callers have checked all lengths.
/// </summary>
internal abstract class SrtpCipher : IDisposable
{
    public abstract int RtpTagLength { get; }
    public abstract int RtcpTagLength { get; }

    /// <summary>Encrypts packet[headerLength..length) and writes the tag at packet[length..length + RtpTagLength).</summary>
    public abstract void ProtectRtp(Span<byte> packet, int headerLength, int length, uint ssrc, uint roc, ushort seq);

    /// <summary>Verifies the tag that follows packet[..length) and decrypts packet[headerLength..length) in place.</summary>
    public abstract bool UnprotectRtp(Span<byte> packet, int headerLength, int length, uint ssrc, uint roc, ushort seq);

    /// <summary>Encrypts packet[8..length), appends E || SRTCP index and the tag; returns the new length.</summary>
    public abstract int ProtectRtcp(Span<byte> packet, int length, uint ssrc, uint srtcpIndex);

    /// <summary>Verifies and (when E is set) decrypts a whole SRTCP packet; <paramref name="length"/> includes trailer and tag.</summary>
    public abstract bool UnprotectRtcp(Span<byte> packet, int length, uint ssrc, uint srtcpIndex, bool encrypted);

    public abstract void Dispose();

    public static SrtpCipher Create(SrtpProfileParameters p, SrtpSessionKeys keys, bool allowAesNi, ISrtpCryptoProvider crypto) =>
        p.IsAead ? new AesGcmCipher(keys, allowAesNi) : new AesCmHmacSha1Cipher(p, keys, allowAesNi, crypto);
}

/// <summary>AES_CM_128 with HMAC-SHA1 (RFC 3711 4.1.1, 4.2.1).</summary>
internal sealed class AesCmHmacSha1Cipher : SrtpCipher
{
    private readonly AesCounterMode _rtpCtr, _rtcpCtr;
    private readonly ISrtpHmacSha1 _rtpMac, _rtcpMac;
    private readonly ulong _rtpSaltHigh, _rtpSaltLow, _rtcpSaltHigh, _rtcpSaltLow;
    private readonly int _rtpTag, _rtcpTag;

    public AesCmHmacSha1Cipher(SrtpProfileParameters p, SrtpSessionKeys keys, bool allowAesNi, ISrtpCryptoProvider crypto)
    {
        _rtpCtr = new AesCounterMode(keys.RtpEncryptionKey, allowAesNi);
        _rtcpCtr = new AesCounterMode(keys.RtcpEncryptionKey, allowAesNi);
        _rtpMac = crypto.CreateHmacSha1(keys.RtpAuthKey);
        _rtcpMac = crypto.CreateHmacSha1(keys.RtcpAuthKey);
        (_rtpSaltHigh, _rtpSaltLow) = SplitSalt(keys.RtpSalt);
        (_rtcpSaltHigh, _rtcpSaltLow) = SplitSalt(keys.RtcpSalt);
        _rtpTag = p.RtpTagLength;
        _rtcpTag = p.RtcpTagLength;
    }

    public bool UsesAesNi => _rtpCtr.UsesAesNi;
    public override int RtpTagLength => _rtpTag;
    public override int RtcpTagLength => _rtcpTag;

    private static (ulong High, ulong Low) SplitSalt(ReadOnlySpan<byte> salt14)
    {
        Span<byte> padded = stackalloc byte[16];
        salt14.CopyTo(padded);
        return (BinaryPrimitives.ReadUInt64BigEndian(padded), BinaryPrimitives.ReadUInt64BigEndian(padded[8..]));
    }

    /// <summary>IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16) (RFC 3711 4.1.1).</summary>
    private static void WriteIv(Span<byte> iv, ulong saltHigh, ulong saltLow, uint ssrc, ulong index)
    {
        BinaryPrimitives.WriteUInt64BigEndian(iv, saltHigh ^ ssrc);
        BinaryPrimitives.WriteUInt64BigEndian(iv[8..], saltLow ^ (index << 16));
    }

    public override void ProtectRtp(Span<byte> packet, int headerLength, int length, uint ssrc, uint roc, ushort seq)
    {
        Span<byte> iv = stackalloc byte[16];
        WriteIv(iv, _rtpSaltHigh, _rtpSaltLow, ssrc, ((ulong)roc << 16) | seq);
        _rtpCtr.Xor(iv, packet[headerLength..length]);
        // Authenticated portion || ROC (RFC 3711 4.2): the ROC goes where the tag will be, so the MAC input is contiguous.
        BinaryPrimitives.WriteUInt32BigEndian(packet[length..], roc);
        Span<byte> mac = stackalloc byte[20];
        _rtpMac.Compute(packet[..(length + 4)], mac);
        mac[.._rtpTag].CopyTo(packet[length..]);
    }

    public override bool UnprotectRtp(Span<byte> packet, int headerLength, int length, uint ssrc, uint roc, ushort seq)
    {
        Span<byte> received = stackalloc byte[10];
        received = received[.._rtpTag];
        packet.Slice(length, _rtpTag).CopyTo(received);
        BinaryPrimitives.WriteUInt32BigEndian(packet[length..], roc);
        Span<byte> mac = stackalloc byte[20];
        _rtpMac.Compute(packet[..(length + 4)], mac);
        received.CopyTo(packet[length..]);
        if (!CryptographicOperations.FixedTimeEquals(mac[.._rtpTag], received)) return false;
        Span<byte> iv = stackalloc byte[16];
        WriteIv(iv, _rtpSaltHigh, _rtpSaltLow, ssrc, ((ulong)roc << 16) | seq);
        _rtpCtr.Xor(iv, packet[headerLength..length]);
        return true;
    }

    public override int ProtectRtcp(Span<byte> packet, int length, uint ssrc, uint srtcpIndex)
    {
        Span<byte> iv = stackalloc byte[16];
        WriteIv(iv, _rtcpSaltHigh, _rtcpSaltLow, ssrc, srtcpIndex);
        _rtcpCtr.Xor(iv, packet[8..length]);
        BinaryPrimitives.WriteUInt32BigEndian(packet[length..], 0x8000_0000u | srtcpIndex); // E = 1 (RFC 3711 3.4)
        Span<byte> mac = stackalloc byte[20];
        _rtcpMac.Compute(packet[..(length + 4)], mac);
        mac[.._rtcpTag].CopyTo(packet[(length + 4)..]);
        return length + 4 + _rtcpTag;
    }

    public override bool UnprotectRtcp(Span<byte> packet, int length, uint ssrc, uint srtcpIndex, bool encrypted)
    {
        int authenticated = length - _rtcpTag;
        Span<byte> mac = stackalloc byte[20];
        _rtcpMac.Compute(packet[..authenticated], mac);
        if (!CryptographicOperations.FixedTimeEquals(mac[.._rtcpTag], packet.Slice(authenticated, _rtcpTag))) return false;
        if (encrypted)
        {
            Span<byte> iv = stackalloc byte[16];
            WriteIv(iv, _rtcpSaltHigh, _rtcpSaltLow, ssrc, srtcpIndex);
            _rtcpCtr.Xor(iv, packet[8..(authenticated - 4)]);
        }
        return true;
    }

    public override void Dispose()
    {
        _rtpCtr.Dispose();
        _rtcpCtr.Dispose();
        _rtpMac.Dispose();
        _rtcpMac.Dispose();
    }
}

/// <summary>AEAD_AES_128_GCM and AEAD_AES_256_GCM (RFC 7714), 16-octet tags.</summary>
internal sealed class AesGcmCipher : SrtpCipher
{
    private const int Tag = 16;
    private readonly GcmEngine _rtp, _rtcp;
    private readonly byte[] _rtpSalt, _rtcpSalt;

    public AesGcmCipher(SrtpSessionKeys keys, bool allowAesNi)
    {
        _rtp = GcmEngine.Create(keys.RtpEncryptionKey, allowAesNi);
        _rtcp = GcmEngine.Create(keys.RtcpEncryptionKey, allowAesNi);
        _rtpSalt = (byte[])keys.RtpSalt.Clone();
        _rtcpSalt = (byte[])keys.RtcpSalt.Clone();
    }

    public override int RtpTagLength => Tag;
    public override int RtcpTagLength => Tag;
    public bool UsesAesNi => _rtp is GcmEngine.Intrinsics;

    /// <summary>IV = (0x0000 || SSRC || ROC || SEQ) XOR salt (RFC 7714 8.1).</summary>
    private void RtpNonce(Span<byte> nonce, uint ssrc, uint roc, ushort seq)
    {
        nonce[0] = 0; nonce[1] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(nonce[2..], ssrc);
        BinaryPrimitives.WriteUInt32BigEndian(nonce[6..], roc);
        BinaryPrimitives.WriteUInt16BigEndian(nonce[10..], seq);
        XorSalt(nonce, _rtpSalt);
    }

    /// <summary>IV = (0x0000 || SSRC || 0x0000 || 0 || SRTCP index) XOR salt (RFC 7714 9.1).</summary>
    private void RtcpNonce(Span<byte> nonce, uint ssrc, uint srtcpIndex)
    {
        nonce[0] = 0; nonce[1] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(nonce[2..], ssrc);
        nonce[6] = 0; nonce[7] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(nonce[8..], srtcpIndex & 0x7FFF_FFFF);
        XorSalt(nonce, _rtcpSalt);
    }

    private static void XorSalt(Span<byte> nonce, byte[] salt)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(nonce, BinaryPrimitives.ReadUInt64LittleEndian(nonce) ^ BinaryPrimitives.ReadUInt64LittleEndian(salt));
        BinaryPrimitives.WriteUInt32LittleEndian(nonce[8..], BinaryPrimitives.ReadUInt32LittleEndian(nonce[8..]) ^ BinaryPrimitives.ReadUInt32LittleEndian(salt.AsSpan(8)));
    }

    public override void ProtectRtp(Span<byte> packet, int headerLength, int length, uint ssrc, uint roc, ushort seq)
    {
        Span<byte> nonce = stackalloc byte[12];
        RtpNonce(nonce, ssrc, roc, seq);
        var payload = packet[headerLength..length];
        // AAD is the whole RTP header including CSRCs and extension (RFC 7714 8.2).
        _rtp.Encrypt(nonce, payload, packet.Slice(length, Tag), packet[..headerLength]);
    }

    public override bool UnprotectRtp(Span<byte> packet, int headerLength, int length, uint ssrc, uint roc, ushort seq)
    {
        Span<byte> nonce = stackalloc byte[12];
        RtpNonce(nonce, ssrc, roc, seq);
        return _rtp.Decrypt(nonce, packet[headerLength..length], packet.Slice(length, Tag), packet[..headerLength]);
    }

    public override int ProtectRtcp(Span<byte> packet, int length, uint ssrc, uint srtcpIndex)
    {
        Span<byte> nonce = stackalloc byte[12];
        RtcpNonce(nonce, ssrc, srtcpIndex);
        Span<byte> aad = stackalloc byte[12];
        packet[..8].CopyTo(aad);
        uint word = 0x8000_0000u | srtcpIndex; // E = 1
        BinaryPrimitives.WriteUInt32BigEndian(aad[8..], word);
        var payload = packet[8..length];
        // Layout (RFC 7714 9.2): header | ciphertext | tag | E || SRTCP index; AAD = header || E || index.
        _rtcp.Encrypt(nonce, payload, packet.Slice(length, Tag), aad);
        BinaryPrimitives.WriteUInt32BigEndian(packet[(length + Tag)..], word);
        return length + Tag + 4;
    }

    public override bool UnprotectRtcp(Span<byte> packet, int length, uint ssrc, uint srtcpIndex, bool encrypted)
    {
        Span<byte> nonce = stackalloc byte[12];
        RtcpNonce(nonce, ssrc, srtcpIndex);
        int tagStart = length - 4 - Tag;
        if (encrypted)
        {
            Span<byte> aad = stackalloc byte[12];
            packet[..8].CopyTo(aad);
            packet.Slice(length - 4, 4).CopyTo(aad[8..]);
            return _rtcp.Decrypt(nonce, packet[8..tagStart], packet.Slice(tagStart, Tag), aad);
        }
        // E = 0: everything before the tag, then E || index, is AAD (RFC 7714 9.3). Move the trailer word
        // to where the tag starts so the AAD is contiguous.
        Span<byte> tag = stackalloc byte[Tag];
        packet.Slice(tagStart, Tag).CopyTo(tag);
        packet.Slice(length - 4, 4).CopyTo(packet[tagStart..]);
        return _rtcp.Decrypt(nonce, Span<byte>.Empty, tag, packet[..(tagStart + 4)]);
    }

    public override void Dispose()
    {
        _rtp.Dispose();
        _rtcp.Dispose();
        CryptographicOperations.ZeroMemory(_rtpSalt);
        CryptographicOperations.ZeroMemory(_rtcpSalt);
    }
}

/// <summary>AES-GCM with in-place data: AES-NI/PCLMULQDQ when the CPU has them, else .NET's AesGcm (OpenSSL).</summary>
internal abstract class GcmEngine : IDisposable
{
    public abstract void Encrypt(ReadOnlySpan<byte> nonce, Span<byte> data, Span<byte> tag, ReadOnlySpan<byte> aad);
    public abstract bool Decrypt(ReadOnlySpan<byte> nonce, Span<byte> data, ReadOnlySpan<byte> tag, ReadOnlySpan<byte> aad);
    public abstract void Dispose();

    public static GcmEngine Create(byte[] key, bool allowAesNi) =>
        allowAesNi && AesGcmIntrinsics.IsSupported ? new Intrinsics(key) : new Bcl(key);

    internal sealed class Intrinsics(byte[] key) : GcmEngine
    {
        private readonly AesGcmIntrinsics _gcm = new(key);
        public override void Encrypt(ReadOnlySpan<byte> nonce, Span<byte> data, Span<byte> tag, ReadOnlySpan<byte> aad) => _gcm.Encrypt(nonce, data, tag, aad);
        public override bool Decrypt(ReadOnlySpan<byte> nonce, Span<byte> data, ReadOnlySpan<byte> tag, ReadOnlySpan<byte> aad) => _gcm.Decrypt(nonce, data, tag, aad);
        public override void Dispose() => _gcm.Dispose();
    }

    internal sealed class Bcl(byte[] key) : GcmEngine
    {
        private readonly AesGcm _gcm = new(key, AesGcmIntrinsics.TagSize);
        public override void Encrypt(ReadOnlySpan<byte> nonce, Span<byte> data, Span<byte> tag, ReadOnlySpan<byte> aad) =>
            _gcm.Encrypt(nonce, data, data, tag, aad); // exact overlap (in place) is allowed

        public override bool Decrypt(ReadOnlySpan<byte> nonce, Span<byte> data, ReadOnlySpan<byte> tag, ReadOnlySpan<byte> aad)
        {
            try
            {
                _gcm.Decrypt(nonce, data, tag, data, aad);
                return true;
            }
            catch (CryptographicException)
            {
                return false; // AuthenticationTagMismatchException: a forged or damaged packet, not a bug
            }
        }

        public override void Dispose() => _gcm.Dispose();
    }
}
