using System.Buffers.Binary;

namespace Functional.WebRtc.Core.Srtp;

/// <summary>Settings of an SRTP context.</summary>
/// <param name="ReplayWindowSize">Indices below the highest one still accepted once (RFC 3711 3.3.2 asks for at least 64).</param>
public sealed record SrtpOptions(int ReplayWindowSize = 64)
{
    public static readonly SrtpOptions Default = new();

    /// <summary>Use AES-NI (AES-CM keystream, AES-GCM with PCLMULQDQ) when the CPU has it; tests turn it off to cover the fallback.</summary>
    internal bool AllowAesNi { get; init; } = true;

    /// <summary>
    /// Where AES_CM_128_HMAC_SHA1 gets its HMAC-SHA1: .NET's by default; the shell passes a faster equivalent
    /// (direct libcrypto calls with the key's pads hashed once) when it can.
    /// </summary>
    public ISrtpCryptoProvider Crypto { get; init; } = BclSrtpCrypto.Instance;
}

/// <summary>
/// The SRTP/SRTCP cryptographic context of one direction's master key (RFC 3711 3.2), with per-SSRC state:
/// rollover counter and highest sequence number (3.3.1), replay windows (3.3.2), the SRTCP index (3.4).
/// Use one context to protect what we send (local keys) and another to unprotect what we receive (remote keys);
/// see <see cref="SrtpSession"/>. Packets are transformed in place; nothing is allocated per packet (a new SSRC
/// allocates its state once). Failures are <see cref="SrtpResult"/> values, never exceptions.
/// Mutable scratch owned by one machine: not thread-safe. Deterministic: no clock, no randomness.
/// </summary>
public sealed class SrtpContext : IDisposable
{
    private readonly SrtpCipher _cipher;
    private readonly Dictionary<uint, RtpStream> _rtpStreams = new();
    private readonly Dictionary<uint, RtcpStream> _rtcpStreams = new();
    private readonly int _windowSize;
    private bool _disposed;

    private const ulong MaxRtpIndex = (1UL << 48) - 1;
    private const uint MaxSrtcpIndex = 0x7FFF_FFFF;

    private sealed class RtpStream(int windowSize)
    {
        public readonly SrtpReplayWindow Received = new(windowSize);
        public bool SendStarted;
        public ulong SendHighest;
    }

    private sealed class RtcpStream(int windowSize)
    {
        public readonly SrtpReplayWindow Received = new(windowSize);
        public uint NextIndex;
    }

    private SrtpContext(SrtpProfileParameters parameters, SrtpSessionKeys keys, SrtpOptions options)
    {
        if (options.ReplayWindowSize < 64 || options.ReplayWindowSize > 1 << 15)
            throw new ArgumentOutOfRangeException(nameof(options), "ReplayWindowSize must be 64..32768 (RFC 3711 3.3.2)");
        Parameters = parameters;
        _windowSize = options.ReplayWindowSize;
        _cipher = SrtpCipher.Create(parameters, keys, options.AllowAesNi, options.Crypto);
    }

    /// <summary>Derives the session keys (RFC 3711 4.3, kdr 0) from a master key and salt and builds the ciphers.</summary>
    public static SrtpContext Create(SrtpProtectionProfile profile, ReadOnlySpan<byte> masterKey, ReadOnlySpan<byte> masterSalt, SrtpOptions? options = null)
    {
        var p = profile.Parameters();
        var keys = SrtpKeyDerivation.DeriveSessionKeys(p, masterKey, masterSalt);
        try { return new SrtpContext(p, keys, options ?? SrtpOptions.Default); }
        finally { SrtpKeyDerivation.Wipe(keys); }
    }

    /// <summary>A context over given session keys, skipping the KDF (for the RFC 7714 vectors, which start there).</summary>
    internal static SrtpContext FromSessionKeys(SrtpProtectionProfile profile, SrtpSessionKeys keys, SrtpOptions? options = null) =>
        new(profile.Parameters(), keys, options ?? SrtpOptions.Default);

    public SrtpProfileParameters Parameters { get; }
    public SrtpProtectionProfile Profile => Parameters.Profile;

    /// <summary>Octets <see cref="ProtectRtp"/> adds; the buffer must have this much room after the packet.</summary>
    public int RtpOverhead => _cipher.RtpTagLength;

    /// <summary>Octets <see cref="ProtectRtcp"/> adds (SRTCP index word and tag).</summary>
    public int RtcpOverhead => _cipher.RtcpTagLength + 4;

    /// <summary>True when the cipher runs on AES-NI (and, for GCM, PCLMULQDQ) instructions rather than the BCL fallback.</summary>
    public bool UsesAesNi => _cipher is AesCmHmacSha1Cipher { UsesAesNi: true } or AesGcmCipher { UsesAesNi: true };

    /// <summary>
    /// Turns the RTP packet in buffer[..length) into an SRTP packet in place: encrypts the payload (everything after the
    /// header, CSRCs and header extension; padding included) and appends the tag. buffer must hold length + RtpOverhead.
    /// </summary>
    public SrtpResult ProtectRtp(Span<byte> buffer, int length, out int newLength)
    {
        newLength = 0;
        ObjectDisposedException.ThrowIf(_disposed, this);
        if ((uint)length > (uint)buffer.Length) return SrtpResult.BufferTooSmall;
        var header = ParseRtpHeader(buffer, length, out int headerLength);
        if (header != SrtpResult.Ok) return header;
        if (buffer.Length - length < _cipher.RtpTagLength) return SrtpResult.BufferTooSmall;

        ushort seq = BinaryPrimitives.ReadUInt16BigEndian(buffer[2..]);
        uint ssrc = BinaryPrimitives.ReadUInt32BigEndian(buffer[8..]);
        var stream = GetOrAddRtpStream(ssrc);
        ulong index;
        if (!stream.SendStarted) index = seq;
        else
        {
            // The sender keeps its own ROC by the same estimate, so retransmissions of older packets get their old index.
            long estimate = EstimateIndex(stream.SendHighest, seq);
            if (estimate < 0) return SrtpResult.Replayed;
            index = (ulong)estimate;
        }
        if (index > MaxRtpIndex) return SrtpResult.KeyExhausted;

        _cipher.ProtectRtp(buffer, headerLength, length, ssrc, (uint)(index >> 16), seq);
        if (!stream.SendStarted || index > stream.SendHighest) stream.SendHighest = index;
        stream.SendStarted = true;
        newLength = length + _cipher.RtpTagLength;
        return SrtpResult.Ok;
    }

    /// <summary>
    /// Verifies and decrypts the SRTP packet in buffer[..length) in place (RFC 3711 3.3): index estimate, replay check,
    /// tag check, decryption, then the ROC, highest index and replay window move. newLength excludes the tag.
    /// </summary>
    public SrtpResult UnprotectRtp(Span<byte> buffer, int length, out int newLength)
    {
        newLength = 0;
        ObjectDisposedException.ThrowIf(_disposed, this);
        if ((uint)length > (uint)buffer.Length) return SrtpResult.BufferTooSmall;
        int tag = _cipher.RtpTagLength;
        if (length < 12 + tag) return SrtpResult.TooShort;
        int authenticatedLength = length - tag;
        var header = ParseRtpHeader(buffer, authenticatedLength, out int headerLength);
        if (header != SrtpResult.Ok) return header;

        ushort seq = BinaryPrimitives.ReadUInt16BigEndian(buffer[2..]);
        uint ssrc = BinaryPrimitives.ReadUInt32BigEndian(buffer[8..]);
        _rtpStreams.TryGetValue(ssrc, out var stream);
        ulong index;
        if (stream is null || stream.Received.IsEmpty) index = seq; // first packet: ROC 0, s_l := SEQ (RFC 3711 3.3.1)
        else
        {
            long estimate = EstimateIndex(stream.Received.Highest, seq);
            if (estimate < 0) return SrtpResult.Replayed;
            index = (ulong)estimate;
            if (!stream.Received.IsFresh(index)) return SrtpResult.Replayed;
        }
        if (index > MaxRtpIndex) return SrtpResult.KeyExhausted;

        if (!_cipher.UnprotectRtp(buffer, headerLength, authenticatedLength, ssrc, (uint)(index >> 16), seq))
            return SrtpResult.AuthenticationFailed;
        // Only an authenticated packet may create state or move the window (RFC 3711 3.3.1, 3.3.2).
        (stream ?? GetOrAddRtpStream(ssrc)).Received.Accept(index);
        newLength = authenticatedLength;
        return SrtpResult.Ok;
    }

    /// <summary>
    /// Turns the (compound) RTCP packet in buffer[..length) into SRTCP in place: encrypts everything after the first
    /// 8 octets, appends E=1 || SRTCP index and the tag (RFC 3711 3.4). buffer must hold length + RtcpOverhead.
    /// </summary>
    public SrtpResult ProtectRtcp(Span<byte> buffer, int length, out int newLength)
    {
        newLength = 0;
        ObjectDisposedException.ThrowIf(_disposed, this);
        if ((uint)length > (uint)buffer.Length) return SrtpResult.BufferTooSmall;
        var header = CheckRtcpHeader(buffer, length);
        if (header != SrtpResult.Ok) return header;
        if (buffer.Length - length < RtcpOverhead) return SrtpResult.BufferTooSmall;
        uint ssrc = BinaryPrimitives.ReadUInt32BigEndian(buffer[4..]);
        var stream = GetOrAddRtcpStream(ssrc);
        if (stream.NextIndex > MaxSrtcpIndex) return SrtpResult.KeyExhausted;
        newLength = _cipher.ProtectRtcp(buffer, length, ssrc, stream.NextIndex);
        stream.NextIndex++;
        return SrtpResult.Ok;
    }

    /// <summary>Verifies and decrypts the SRTCP packet in buffer[..length) in place; newLength is the RTCP length.</summary>
    public SrtpResult UnprotectRtcp(Span<byte> buffer, int length, out int newLength)
    {
        newLength = 0;
        ObjectDisposedException.ThrowIf(_disposed, this);
        if ((uint)length > (uint)buffer.Length) return SrtpResult.BufferTooSmall;
        int trailer = RtcpOverhead;
        if (length < 8 + trailer) return SrtpResult.TooShort;
        var header = CheckRtcpHeader(buffer, length);
        if (header != SrtpResult.Ok) return header;
        uint ssrc = BinaryPrimitives.ReadUInt32BigEndian(buffer[4..]);
        // AES-CM: ... | E||index | tag.  AEAD: ... | tag | E||index (RFC 7714 9.2).
        int wordAt = Parameters.IsAead ? length - 4 : length - trailer;
        uint word = BinaryPrimitives.ReadUInt32BigEndian(buffer[wordAt..]);
        bool encrypted = (word & 0x8000_0000u) != 0;
        uint index = word & MaxSrtcpIndex;
        _rtcpStreams.TryGetValue(ssrc, out var stream);
        if (stream is not null && !stream.Received.IsFresh(index)) return SrtpResult.Replayed;
        if (!_cipher.UnprotectRtcp(buffer, length, ssrc, index, encrypted)) return SrtpResult.AuthenticationFailed;
        (stream ?? GetOrAddRtcpStream(ssrc)).Received.Accept(index);
        newLength = length - trailer;
        return SrtpResult.Ok;
    }

    /// <summary>Sets the next SRTCP index to send for an SSRC (tests: the RFC 7714 vectors start mid-session).</summary>
    internal void SetNextSrtcpIndex(uint ssrc, uint index) => GetOrAddRtcpStream(ssrc).NextIndex = index;

    /// <summary>The receiver's rollover counter for an SSRC, if it has accepted a packet from it.</summary>
    public uint? ReceiveRolloverCounter(uint ssrc) =>
        _rtpStreams.TryGetValue(ssrc, out var s) && !s.Received.IsEmpty ? (uint)(s.Received.Highest >> 16) : null;

    /// <summary>The sender's rollover counter for an SSRC, if it has protected a packet of it.</summary>
    public uint? SendRolloverCounter(uint ssrc) =>
        _rtpStreams.TryGetValue(ssrc, out var s) && s.SendStarted ? (uint)(s.SendHighest >> 16) : null;

    private RtpStream GetOrAddRtpStream(uint ssrc)
    {
        if (!_rtpStreams.TryGetValue(ssrc, out var stream)) _rtpStreams[ssrc] = stream = new RtpStream(_windowSize);
        return stream;
    }

    private RtcpStream GetOrAddRtcpStream(uint ssrc)
    {
        if (!_rtcpStreams.TryGetValue(ssrc, out var stream)) _rtcpStreams[ssrc] = stream = new RtcpStream(_windowSize);
        return stream;
    }

    /// <summary>
    /// The packet index i = 2^16 * v + SEQ, with v the guess of ROC among ROC-1, ROC, ROC+1 closest to the highest
    /// index s_l seen (RFC 3711 3.3.1 and appendix A). Negative when the guess is ROC-1 with ROC 0.
    /// </summary>
    internal static long EstimateIndex(ulong highest, ushort seq)
    {
        long roc = (long)(highest >> 16);
        int sl = (int)(highest & 0xFFFF);
        long v;
        if (sl < 32768) v = seq - sl > 32768 ? roc - 1 : roc;
        else v = sl - 32768 > seq ? roc + 1 : roc;
        return v < 0 ? -1 : (v << 16) | seq;
    }

    /// <summary>Checks version 2 and finds where the payload starts: 12 + 4 * CC, plus the extension when X is set (RFC 3550 5.1, 5.3.1).</summary>
    internal static SrtpResult ParseRtpHeader(ReadOnlySpan<byte> packet, int length, out int headerLength)
    {
        headerLength = 0;
        if (length < 12) return SrtpResult.TooShort;
        byte first = packet[0];
        if (first >> 6 != 2) return SrtpResult.InvalidHeader;
        int h = 12 + 4 * (first & 0x0F);
        if ((first & 0x10) != 0)
        {
            if (h + 4 > length) return SrtpResult.InvalidHeader;
            h += 4 + 4 * BinaryPrimitives.ReadUInt16BigEndian(packet[(h + 2)..]);
        }
        if (h > length) return SrtpResult.InvalidHeader;
        headerLength = h;
        return SrtpResult.Ok;
    }

    private static SrtpResult CheckRtcpHeader(ReadOnlySpan<byte> packet, int length)
    {
        if (length < 8) return SrtpResult.TooShort;
        if (packet[0] >> 6 != 2) return SrtpResult.InvalidHeader;
        return SrtpResult.Ok;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _cipher.Dispose();
        _rtpStreams.Clear();
        _rtcpStreams.Clear();
    }
}
