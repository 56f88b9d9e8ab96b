using System.Buffers.Binary;
using Functional.WebRtc.Core.Srtp;

namespace Functional.WebRtc.Core.Dtls;

/// <summary>What happened to one received record.</summary>
public enum DtlsOpenStatus : byte
{
    /// <summary>Authenticated and decrypted in place; the window moved.</summary>
    Opened,
    /// <summary>Already seen, or older than the window (RFC 6347 section 4.1.2.6): dropped silently.</summary>
    Replayed,
    /// <summary>Not this reader's epoch or content type.</summary>
    NotOurs,
    /// <summary>Too short, or the tag did not verify (RFC 6347 section 4.1.2.7: dropped silently). The buffer is unchanged.</summary>
    Invalid,
}

/// <summary>
/// AES-GCM record protection for DTLS 1.2 (RFC 5288 section 3, RFC 5246 section 6.2.3.3), one direction, one epoch.
/// GenericAEADCipher: nonce_explicit (8) || ciphertext || tag (16); nonce = salt (4) || nonce_explicit, where we put
/// the record's epoch and sequence number in nonce_explicit (unique per record, as RFC 5288 requires);
/// additional_data = seq_num (epoch || sequence, 8) || type || version || plaintext length.
/// No allocation per record. Mutable (the GCM engine's scratch and, for reading, the replay window): one caller at
/// a time.
/// </summary>
public sealed class DtlsRecordProtection : IDisposable
{
    public const int ExplicitNonceLength = 8;
    public const int TagLength = 16;
    /// <summary>Octets a record adds to its plaintext: header, explicit nonce and tag.</summary>
    public const int Overhead = DtlsRecord.HeaderLength + ExplicitNonceLength + TagLength;
    /// <summary>RFC 5246 section 6.2.1: a plaintext fragment is at most 2^14 octets.</summary>
    public const int MaxPlaintextLength = 1 << 14;

    private readonly GcmEngine engine;
    private readonly uint salt;
    private DtlsReplayWindow window = DtlsReplayWindow.Empty;

    /// <param name="key">16 or 32 octets.</param>
    /// <param name="salt">The 4-octet implicit nonce (client_write_IV or server_write_IV).</param>
    /// <param name="epoch">The epoch these keys belong to (1 after the first handshake).</param>
    /// <param name="allowAesNi">Use the AES-NI/PCLMULQDQ engine when the CPU has it (else .NET's AesGcm).</param>
    public DtlsRecordProtection(ReadOnlySpan<byte> key, ReadOnlySpan<byte> salt, ushort epoch, bool allowAesNi = true)
    {
        if (key.Length is not (16 or 32)) throw new ArgumentException("AES-GCM key must be 16 or 32 octets", nameof(key));
        if (salt.Length != DtlsAeadSuites.FixedIvLength) throw new ArgumentException("the implicit nonce is 4 octets", nameof(salt));
        engine = GcmEngine.Create(key.ToArray(), allowAesNi);
        this.salt = BinaryPrimitives.ReadUInt32BigEndian(salt);
        Epoch = epoch;
    }

    public DtlsRecordProtection(DtlsAeadKey key, ushort epoch, bool allowAesNi = true) : this(key.Key, key.Salt, epoch, allowAesNi) { }

    public ushort Epoch { get; }

    /// <summary>The receive side's replay window (for tests and diagnostics).</summary>
    public DtlsReplayWindow Window => window;

    /// <summary>Record length for a plaintext of <paramref name="plaintextLength"/> octets.</summary>
    public static int RecordLength(int plaintextLength) => plaintextLength + Overhead;

    /// <summary>
    /// Writes one protected record (header, explicit nonce, ciphertext, tag) for <paramref name="plaintext"/> into
    /// <paramref name="destination"/>; returns its length, or -1 when the plaintext exceeds 2^14 octets, the sequence
    /// number 48 bits, or the destination is too small. <paramref name="plaintext"/> may not overlap the destination.
    /// </summary>
    public int Seal(byte contentType, ulong sequence, ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        var total = RecordLength(plaintext.Length);
        if (plaintext.Length > MaxPlaintextLength || sequence > DtlsRecord.MaxSequenceNumber || destination.Length < total) return -1;
        var header = new DtlsRecordHeader(contentType, DtlsRecord.Dtls12, Epoch, sequence, (ushort)(total - DtlsRecord.HeaderLength));
        DtlsRecord.WriteHeader(destination, header);
        var seqNum = header.EpochAndSequence;
        BinaryPrimitives.WriteUInt64BigEndian(destination[DtlsRecord.HeaderLength..], seqNum);
        var body = destination.Slice(DtlsRecord.HeaderLength + ExplicitNonceLength, plaintext.Length);
        plaintext.CopyTo(body);
        Span<byte> nonce = stackalloc byte[12];
        Span<byte> aad = stackalloc byte[13];
        Nonce(nonce, seqNum);
        AdditionalData(aad, seqNum, contentType, (ushort)plaintext.Length);
        engine.Encrypt(nonce, body, destination.Slice(DtlsRecord.HeaderLength + ExplicitNonceLength + plaintext.Length, TagLength), aad);
        return total;
    }

    /// <summary>
    /// Checks, authenticates and decrypts one record (exactly header + fragment) in place. On
    /// <see cref="DtlsOpenStatus.Opened"/> the plaintext is <c>record.Slice(plaintextOffset, plaintextLength)</c> and the
    /// replay window has moved; otherwise nothing changed.
    /// </summary>
    public DtlsOpenStatus Open(Span<byte> record, byte contentType, out int plaintextOffset, out int plaintextLength)
    {
        plaintextOffset = plaintextLength = 0;
        if (!DtlsRecord.TryReadHeader(record, out var h)) return DtlsOpenStatus.Invalid;
        if (h.ContentType != contentType || h.Epoch != Epoch) return DtlsOpenStatus.NotOurs;
        if (h.Length < ExplicitNonceLength + TagLength || record.Length != DtlsRecord.HeaderLength + h.Length) return DtlsOpenStatus.Invalid;
        if (!window.IsFresh(h.SequenceNumber)) return DtlsOpenStatus.Replayed;
        var length = h.Length - ExplicitNonceLength - TagLength;
        var explicitNonce = BinaryPrimitives.ReadUInt64BigEndian(record[DtlsRecord.HeaderLength..]);
        Span<byte> nonce = stackalloc byte[12];
        Span<byte> aad = stackalloc byte[13];
        Nonce(nonce, explicitNonce);
        AdditionalData(aad, h.EpochAndSequence, h.ContentType, (ushort)length, h.Version);
        var offset = DtlsRecord.HeaderLength + ExplicitNonceLength;
        if (!engine.Decrypt(nonce, record.Slice(offset, length), record.Slice(offset + length, TagLength), aad)) return DtlsOpenStatus.Invalid;
        window = window.Accept(h.SequenceNumber);
        plaintextOffset = offset;
        plaintextLength = length;
        return DtlsOpenStatus.Opened;
    }

    private void Nonce(Span<byte> nonce, ulong explicitNonce)
    {
        BinaryPrimitives.WriteUInt32BigEndian(nonce, salt);
        BinaryPrimitives.WriteUInt64BigEndian(nonce[4..], explicitNonce);
    }

    private static void AdditionalData(Span<byte> aad, ulong seqNum, byte contentType, ushort length, ushort version = DtlsRecord.Dtls12)
    {
        BinaryPrimitives.WriteUInt64BigEndian(aad, seqNum);
        aad[8] = contentType;
        BinaryPrimitives.WriteUInt16BigEndian(aad[9..], version);
        BinaryPrimitives.WriteUInt16BigEndian(aad[11..], length);
    }

    /// <summary>Forgets every sequence number seen (benchmarks open the same record repeatedly).</summary>
    internal void ResetReplayWindow() => window = DtlsReplayWindow.Empty;

    public void Dispose() => engine.Dispose();
}
