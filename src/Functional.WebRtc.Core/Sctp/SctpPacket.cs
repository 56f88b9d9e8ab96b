using System.Buffers.Binary;
using LanguageExt;

namespace Functional.WebRtc.Core.Sctp;

/// <summary>
/// An SCTP packet (RFC 9260 3.1): common header and chunks. Over DTLS (RFC 8261) one packet is one DTLS application-data record.
/// Chunks parsed from a packet may reference the packet's bytes (DATA payloads are slices, not copies).
/// </summary>
public sealed record SctpPacket(ushort SourcePort, ushort DestinationPort, uint VerificationTag, uint Checksum, IReadOnlyList<SctpChunk> Chunks)
{
    public const int HeaderLength = 12;

    public bool Equals(SctpPacket? o) => o is not null && SourcePort == o.SourcePort && DestinationPort == o.DestinationPort &&
        VerificationTag == o.VerificationTag && Checksum == o.Checksum && Chunks.SequenceEqual(o.Chunks);
    public override int GetHashCode() => HashCode.Combine(SourcePort, DestinationPort, VerificationTag, Chunks.Count);

    /// <summary>Parses a packet; never throws. The checksum is read but not verified (see <see cref="ChecksumValid"/>).</summary>
    public static bool TryParse(ReadOnlyMemory<byte> packet, out SctpPacket result, out RtcError? error)
    {
        result = null!;
        var s = packet.Span;
        if (s.Length < HeaderLength) { error = new RtcError.Syntax($"SCTP packet of {s.Length} bytes is shorter than its header"); return false; }
        var chunks = new List<SctpChunk>(4);
        var o = HeaderLength;
        while (o < s.Length)
        {
            if (s.Length - o < 4) { error = new RtcError.Syntax("SCTP chunk header truncated", 0, o); return false; }
            var len = BinaryPrimitives.ReadUInt16BigEndian(s[(o + 2)..]);
            if (len < 4 || len > s.Length - o) { error = new RtcError.Syntax($"SCTP chunk length {len} is invalid", 0, o); return false; }
            if (!SctpChunk.TryParse(packet.Slice(o, len), out var chunk, out error)) return false;
            chunks.Add(chunk);
            o += Math.Min(InitParameters.Pad4(len), s.Length - o);
        }
        result = new SctpPacket(BinaryPrimitives.ReadUInt16BigEndian(s), BinaryPrimitives.ReadUInt16BigEndian(s[2..]),
            BinaryPrimitives.ReadUInt32BigEndian(s[4..]), BinaryPrimitives.ReadUInt32LittleEndian(s[8..]), chunks);
        error = null;
        return true;
    }

    public static Either<RtcError, SctpPacket> Parse(ReadOnlyMemory<byte> packet) =>
        TryParse(packet, out var p, out var e) ? Prelude.Right<RtcError, SctpPacket>(p) : Prelude.Left<RtcError, SctpPacket>(e!);

    /// <summary>
    /// Verifies the CRC32c (RFC 9260 6.8). A zero checksum passes only when <paramref name="acceptZero"/>
    /// (zero checksum negotiated over DTLS, RFC 9653).
    /// </summary>
    public static bool ChecksumValid(ReadOnlySpan<byte> packet, bool acceptZero)
    {
        if (packet.Length < HeaderLength) return false;
        var claimed = BinaryPrimitives.ReadUInt32LittleEndian(packet[8..]);
        if (claimed == 0 && acceptZero) return true;
        return claimed == ComputeChecksum(packet);
    }

    /// <summary>The CRC32c of a packet computed with its checksum field taken as zero.</summary>
    public static uint ComputeChecksum(ReadOnlySpan<byte> packet)
    {
        var crc = Crc32c.Update(0xFFFFFFFFu, packet[..8]);
        crc = Crc32c.Update(crc, [0, 0, 0, 0]);
        return ~Crc32c.Update(crc, packet[HeaderLength..]);
    }

    /// <summary>Writes the common header with a zero checksum field.</summary>
    public static void WriteHeader(Span<byte> packet, ushort sourcePort, ushort destinationPort, uint verificationTag)
    {
        BinaryPrimitives.WriteUInt16BigEndian(packet, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(packet[2..], destinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(packet[4..], verificationTag);
        BinaryPrimitives.WriteUInt32LittleEndian(packet[8..], 0);
    }

    /// <summary>Fills the checksum field of a fully written packet (it must be zero before).</summary>
    public static void Seal(Span<byte> packet, bool zeroChecksum)
    {
        if (!zeroChecksum) BinaryPrimitives.WriteUInt32LittleEndian(packet[8..], Crc32c.Compute(packet));
    }

    /// <summary>Serializes this packet with a freshly computed checksum (or zero when <paramref name="zeroChecksum"/>).</summary>
    public byte[] ToBytes(bool zeroChecksum = false) => Write(SourcePort, DestinationPort, VerificationTag, Chunks, zeroChecksum);

    public static byte[] Write(ushort sourcePort, ushort destinationPort, uint verificationTag, IReadOnlyList<SctpChunk> chunks, bool zeroChecksum = false)
    {
        var size = HeaderLength;
        foreach (var c in chunks) size += c.PaddedLength;
        var bytes = new byte[size];
        WriteHeader(bytes, sourcePort, destinationPort, verificationTag);
        var o = HeaderLength;
        foreach (var c in chunks) { c.WriteTo(bytes.AsSpan(o)); o += c.PaddedLength; }
        Seal(bytes, zeroChecksum);
        return bytes;
    }
}
