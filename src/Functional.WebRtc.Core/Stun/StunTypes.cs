using System.Buffers.Binary;

namespace Functional.WebRtc.Core.Stun;

/// <summary>The message class (RFC 8489 section 5: the C0/C1 bits).</summary>
public enum StunClass : byte { Request = 0, Indication = 1, SuccessResponse = 2, ErrorResponse = 3 }

/// <summary>STUN/TURN methods (RFC 8489 section 18.2, RFC 8656 section 17).</summary>
public enum StunMethod : ushort
{
    Binding = 0x001, Allocate = 0x003, Refresh = 0x004, Send = 0x006, Data = 0x007,
    CreatePermission = 0x008, ChannelBind = 0x009,
}

/// <summary>Attribute type codes (RFC 8489 18.3, RFC 8445 16.1, RFC 8656 18).</summary>
public static class StunAttributeType
{
    public const ushort MappedAddress = 0x0001;
    public const ushort Username = 0x0006;
    public const ushort MessageIntegrity = 0x0008;
    public const ushort ErrorCode = 0x0009;
    public const ushort UnknownAttributes = 0x000A;
    public const ushort ChannelNumber = 0x000C;
    public const ushort Lifetime = 0x000D;
    public const ushort XorPeerAddress = 0x0012;
    public const ushort Data = 0x0013;
    public const ushort Realm = 0x0014;
    public const ushort Nonce = 0x0015;
    public const ushort XorRelayedAddress = 0x0016;
    public const ushort RequestedTransport = 0x0019;
    public const ushort DontFragment = 0x001A;
    public const ushort MessageIntegritySha256 = 0x001C;
    public const ushort XorMappedAddress = 0x0020;
    public const ushort Priority = 0x0024;
    public const ushort UseCandidate = 0x0025;
    public const ushort Software = 0x8022;
    public const ushort Fingerprint = 0x8028;
    public const ushort IceControlled = 0x8029;
    public const ushort IceControlling = 0x802A;

    /// <summary>Types 0x0000-0x7FFF are comprehension-required (RFC 8489 section 14).</summary>
    public static bool IsComprehensionRequired(ushort type) => type < 0x8000;
}

/// <summary>The 96-bit transaction id (RFC 8489 section 5), held by value.</summary>
public readonly record struct TransactionId(ulong High, uint Low)
{
    public static TransactionId Read(ReadOnlySpan<byte> twelve) =>
        new(BinaryPrimitives.ReadUInt64BigEndian(twelve), BinaryPrimitives.ReadUInt32BigEndian(twelve[8..]));

    public void Write(Span<byte> twelve)
    {
        BinaryPrimitives.WriteUInt64BigEndian(twelve, High);
        BinaryPrimitives.WriteUInt32BigEndian(twelve[8..], Low);
    }

    public static (TransactionId Id, Entropy Next) New(Entropy entropy)
    {
        var (hi, e1) = entropy.NextUInt64();
        var (lo, e2) = e1.NextUInt32();
        return (new TransactionId(hi, lo), e2);
    }

    public override string ToString() => $"{High:x16}{Low:x8}";
}
