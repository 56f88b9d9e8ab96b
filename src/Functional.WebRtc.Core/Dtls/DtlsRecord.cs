using System.Buffers.Binary;

namespace Functional.WebRtc.Core.Dtls;

/// <summary>DTLS content types (RFC 5246 section 6.2.1).</summary>
public static class DtlsContentType
{
    public const byte ChangeCipherSpec = 20;
    public const byte Alert = 21;
    public const byte Handshake = 22;
    public const byte ApplicationData = 23;
}

/// <summary>
/// A DTLS 1.2 record header (RFC 6347 section 4.1): type (1), version (2), epoch (2), sequence_number (6), length (2).
/// </summary>
public readonly record struct DtlsRecordHeader(byte ContentType, ushort Version, ushort Epoch, ulong SequenceNumber, ushort Length)
{
    /// <summary>The 64-bit seq_num of the AEAD additional data and our explicit nonce: epoch (16 bits) then sequence (48).</summary>
    public ulong EpochAndSequence => ((ulong)Epoch << 48) | SequenceNumber;
}

/// <summary>Reading and writing DTLS 1.2 record headers; walking the records of one datagram.</summary>
public static class DtlsRecord
{
    public const int HeaderLength = 13;
    /// <summary>DTLS 1.2 on the wire: {254, 253} (RFC 6347 section 4.1).</summary>
    public const ushort Dtls12 = 0xFEFD;
    public const ulong MaxSequenceNumber = (1UL << 48) - 1;

    /// <summary>
    /// Reads the record at the start of <paramref name="data"/>. False when fewer than 13 octets remain or the
    /// length field runs past the end (RFC 6347 section 4.1.2.7: the rest of such a datagram is discarded).
    /// </summary>
    public static bool TryReadHeader(ReadOnlySpan<byte> data, out DtlsRecordHeader header)
    {
        header = default;
        if (data.Length < HeaderLength) return false;
        var length = BinaryPrimitives.ReadUInt16BigEndian(data[11..]);
        if (data.Length - HeaderLength < length) return false;
        header = new DtlsRecordHeader(
            data[0],
            BinaryPrimitives.ReadUInt16BigEndian(data[1..]),
            BinaryPrimitives.ReadUInt16BigEndian(data[3..]),
            ((ulong)BinaryPrimitives.ReadUInt16BigEndian(data[5..]) << 32) | BinaryPrimitives.ReadUInt32BigEndian(data[7..]),
            length);
        return true;
    }

    /// <summary>Writes a 13-octet header. The sequence number is truncated to 48 bits.</summary>
    public static void WriteHeader(Span<byte> destination, in DtlsRecordHeader header)
    {
        destination[0] = header.ContentType;
        BinaryPrimitives.WriteUInt16BigEndian(destination[1..], header.Version);
        BinaryPrimitives.WriteUInt16BigEndian(destination[3..], header.Epoch);
        BinaryPrimitives.WriteUInt16BigEndian(destination[5..], (ushort)(header.SequenceNumber >> 32));
        BinaryPrimitives.WriteUInt32BigEndian(destination[7..], (uint)header.SequenceNumber);
        BinaryPrimitives.WriteUInt16BigEndian(destination[11..], header.Length);
    }

    /// <summary>
    /// True when every record in <paramref name="datagram"/> is well formed and has <paramref name="contentType"/>
    /// and <paramref name="epoch"/> (the common case: a datagram of application data only).
    /// </summary>
    public static bool AllRecordsAre(ReadOnlySpan<byte> datagram, byte contentType, ushort epoch)
    {
        if (datagram.IsEmpty) return false;
        while (!datagram.IsEmpty)
        {
            if (!TryReadHeader(datagram, out var h) || h.ContentType != contentType || h.Epoch != epoch) return false;
            datagram = datagram[(HeaderLength + h.Length)..];
        }
        return true;
    }
}
