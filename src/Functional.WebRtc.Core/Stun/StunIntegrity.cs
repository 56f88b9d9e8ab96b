using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Functional.WebRtc.Core.Stun;

/// <summary>MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 and FINGERPRINT over raw message bytes (RFC 8489 14.5-14.7, 9.2).</summary>
public static class StunIntegrity
{
    public const uint FingerprintXor = 0x5354554e;

    /// <summary>The short-term credential key: the password's UTF-8 bytes (OpaqueString profile not applied).</summary>
    public static byte[] ShortTermKey(string password) => Encoding.UTF8.GetBytes(password);

    /// <summary>The long-term credential key: MD5(username ":" realm ":" password) (RFC 8489 9.2.2).</summary>
    public static byte[] LongTermKey(string username, string realm, string password) =>
        MD5.HashData(Encoding.UTF8.GetBytes($"{username}:{realm}:{password}"));

    /// <summary>Finds the offset of the first attribute of <paramref name="type"/> (at the top level), or -1.</summary>
    public static int FindAttribute(ReadOnlySpan<byte> message, ushort type)
    {
        if (message.Length < StunMessage.HeaderLength) return -1;
        var end = Math.Min(message.Length, StunMessage.HeaderLength + BinaryPrimitives.ReadUInt16BigEndian(message[2..]));
        var offset = StunMessage.HeaderLength;
        while (offset + 4 <= end)
        {
            var t = BinaryPrimitives.ReadUInt16BigEndian(message[offset..]);
            var l = BinaryPrimitives.ReadUInt16BigEndian(message[(offset + 2)..]);
            if (offset + 4 + l > end) return -1;
            if (t == type) return offset;
            offset += 4 + ((l + 3) & ~3);
        }
        return -1;
    }

    /// <summary>True when the message carries MESSAGE-INTEGRITY and the HMAC-SHA1 under <paramref name="key"/> matches.</summary>
    public static bool CheckMessageIntegrity(ReadOnlySpan<byte> message, ReadOnlySpan<byte> key)
    {
        var at = FindAttribute(message, StunAttributeType.MessageIntegrity);
        if (at < 0 || BinaryPrimitives.ReadUInt16BigEndian(message[(at + 2)..]) != 20) return false;
        Span<byte> mac = stackalloc byte[20];
        ComputeHmac(message, at, 24, key, mac, sha256: false);
        return CryptographicOperations.FixedTimeEquals(mac, message.Slice(at + 4, 20));
    }

    /// <summary>True when the message carries MESSAGE-INTEGRITY-SHA256 and the (possibly truncated) HMAC-SHA256 matches.</summary>
    public static bool CheckMessageIntegritySha256(ReadOnlySpan<byte> message, ReadOnlySpan<byte> key)
    {
        var at = FindAttribute(message, StunAttributeType.MessageIntegritySha256);
        if (at < 0) return false;
        var len = BinaryPrimitives.ReadUInt16BigEndian(message[(at + 2)..]);
        if (len < 16 || len > 32 || (len & 3) != 0) return false;
        Span<byte> mac = stackalloc byte[32];
        ComputeHmac(message, at, 4 + len, key, mac, sha256: true);
        return CryptographicOperations.FixedTimeEquals(mac[..len], message.Slice(at + 4, len));
    }

    /// <summary>True when the last attribute is FINGERPRINT and it matches CRC-32 xor 0x5354554e (RFC 8489 14.7).</summary>
    public static bool CheckFingerprint(ReadOnlySpan<byte> message)
    {
        if (message.Length < StunMessage.HeaderLength + 8) return false;
        var at = message.Length - 8;
        if (BinaryPrimitives.ReadUInt16BigEndian(message[at..]) != StunAttributeType.Fingerprint ||
            BinaryPrimitives.ReadUInt16BigEndian(message[(at + 2)..]) != 4) return false;
        return (Crc32.Compute(message[..at]) ^ FingerprintXor) == BinaryPrimitives.ReadUInt32BigEndian(message[(at + 4)..]);
    }

    /// <summary>
    /// HMAC over the message up to <paramref name="attributeOffset"/>, with the header's length set as if the message ended
    /// after the integrity attribute (which is <paramref name="attributeSize"/> bytes long).
    /// </summary>
    private static void ComputeHmac(ReadOnlySpan<byte> message, int attributeOffset, int attributeSize, ReadOnlySpan<byte> key, Span<byte> mac, bool sha256)
    {
        byte[]? rented = null;
        var scratch = attributeOffset <= 1536 ? stackalloc byte[attributeOffset] : (rented = ArrayPool<byte>.Shared.Rent(attributeOffset)).AsSpan(0, attributeOffset);
        message[..attributeOffset].CopyTo(scratch);
        BinaryPrimitives.WriteUInt16BigEndian(scratch[2..], (ushort)(attributeOffset - StunMessage.HeaderLength + attributeSize));
        if (sha256) HMACSHA256.HashData(key, scratch, mac);
        else HMACSHA1.HashData(key, scratch, mac);
        if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
    }

    /// <summary>Appends MESSAGE-INTEGRITY at <paramref name="offset"/> in a message being written; returns the new end.</summary>
    internal static int AppendMessageIntegrity(Span<byte> d, int offset, ReadOnlySpan<byte> key)
    {
        BinaryPrimitives.WriteUInt16BigEndian(d[2..], (ushort)(offset - StunMessage.HeaderLength + 24));
        HMACSHA1.HashData(key, d[..offset], d.Slice(offset + 4, 20));
        BinaryPrimitives.WriteUInt16BigEndian(d[offset..], StunAttributeType.MessageIntegrity);
        BinaryPrimitives.WriteUInt16BigEndian(d[(offset + 2)..], 20);
        return offset + 24;
    }

    /// <summary>Appends MESSAGE-INTEGRITY-SHA256 (32 bytes) at <paramref name="offset"/>; returns the new end.</summary>
    internal static int AppendMessageIntegritySha256(Span<byte> d, int offset, ReadOnlySpan<byte> key)
    {
        BinaryPrimitives.WriteUInt16BigEndian(d[2..], (ushort)(offset - StunMessage.HeaderLength + 36));
        HMACSHA256.HashData(key, d[..offset], d.Slice(offset + 4, 32));
        BinaryPrimitives.WriteUInt16BigEndian(d[offset..], StunAttributeType.MessageIntegritySha256);
        BinaryPrimitives.WriteUInt16BigEndian(d[(offset + 2)..], 32);
        return offset + 36;
    }

    /// <summary>Appends FINGERPRINT at <paramref name="offset"/>; returns the new end.</summary>
    internal static int AppendFingerprint(Span<byte> d, int offset)
    {
        BinaryPrimitives.WriteUInt16BigEndian(d[2..], (ushort)(offset - StunMessage.HeaderLength + 8));
        var crc = Crc32.Compute(d[..offset]) ^ FingerprintXor;
        BinaryPrimitives.WriteUInt16BigEndian(d[offset..], StunAttributeType.Fingerprint);
        BinaryPrimitives.WriteUInt16BigEndian(d[(offset + 2)..], 4);
        BinaryPrimitives.WriteUInt32BigEndian(d[(offset + 4)..], crc);
        return offset + 8;
    }
}
