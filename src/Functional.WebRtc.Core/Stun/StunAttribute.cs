using System.Net;
using LanguageExt;

namespace Functional.WebRtc.Core.Stun;

/// <summary>A STUN attribute, as a closed union of the attributes this stack understands, plus <see cref="Unknown"/>.</summary>
public abstract record StunAttribute
{
    public abstract ushort Type { get; }

    /// <summary>MAPPED-ADDRESS (RFC 8489 14.1), for RFC 3489 compatibility.</summary>
    public sealed record MappedAddress(IPEndPoint EndPoint) : StunAttribute { public override ushort Type => StunAttributeType.MappedAddress; }
    /// <summary>XOR-MAPPED-ADDRESS (RFC 8489 14.2).</summary>
    public sealed record XorMappedAddress(IPEndPoint EndPoint) : StunAttribute { public override ushort Type => StunAttributeType.XorMappedAddress; }
    /// <summary>XOR-PEER-ADDRESS (RFC 8656 18.3).</summary>
    public sealed record XorPeerAddress(IPEndPoint EndPoint) : StunAttribute { public override ushort Type => StunAttributeType.XorPeerAddress; }
    /// <summary>XOR-RELAYED-ADDRESS (RFC 8656 18.5).</summary>
    public sealed record XorRelayedAddress(IPEndPoint EndPoint) : StunAttribute { public override ushort Type => StunAttributeType.XorRelayedAddress; }
    public sealed record Username(string Value) : StunAttribute { public override ushort Type => StunAttributeType.Username; }
    public sealed record Realm(string Value) : StunAttribute { public override ushort Type => StunAttributeType.Realm; }
    public sealed record Nonce(string Value) : StunAttribute { public override ushort Type => StunAttributeType.Nonce; }
    public sealed record Software(string Value) : StunAttribute { public override ushort Type => StunAttributeType.Software; }
    /// <summary>MESSAGE-INTEGRITY: the 20-byte HMAC-SHA1 as received (RFC 8489 14.5).</summary>
    public sealed record MessageIntegrity(Bytes Hmac) : StunAttribute { public override ushort Type => StunAttributeType.MessageIntegrity; }
    /// <summary>MESSAGE-INTEGRITY-SHA256: 16 to 32 bytes, a multiple of 4 (RFC 8489 14.6).</summary>
    public sealed record MessageIntegritySha256(Bytes Hmac) : StunAttribute { public override ushort Type => StunAttributeType.MessageIntegritySha256; }
    public sealed record Fingerprint(uint Value) : StunAttribute { public override ushort Type => StunAttributeType.Fingerprint; }
    /// <summary>ERROR-CODE (RFC 8489 14.8): code 300..699 and a reason phrase.</summary>
    public sealed record ErrorCode(int Code, string Reason) : StunAttribute { public override ushort Type => StunAttributeType.ErrorCode; }
    public sealed record UnknownAttributes(Seq<ushort> Types) : StunAttribute { public override ushort Type => StunAttributeType.UnknownAttributes; }
    public sealed record Priority(uint Value) : StunAttribute { public override ushort Type => StunAttributeType.Priority; }
    public sealed record UseCandidate : StunAttribute { public override ushort Type => StunAttributeType.UseCandidate; }
    public sealed record IceControlled(ulong TieBreaker) : StunAttribute { public override ushort Type => StunAttributeType.IceControlled; }
    public sealed record IceControlling(ulong TieBreaker) : StunAttribute { public override ushort Type => StunAttributeType.IceControlling; }
    /// <summary>LIFETIME in seconds (RFC 8656 18.4).</summary>
    public sealed record Lifetime(uint Seconds) : StunAttribute { public override ushort Type => StunAttributeType.Lifetime; }
    public sealed record Data(Bytes Value) : StunAttribute { public override ushort Type => StunAttributeType.Data; }
    /// <summary>REQUESTED-TRANSPORT (RFC 8656 18.7): the IP protocol number, 17 for UDP.</summary>
    public sealed record RequestedTransport(byte Protocol) : StunAttribute { public override ushort Type => StunAttributeType.RequestedTransport; }
    /// <summary>CHANNEL-NUMBER (RFC 8656 18.1).</summary>
    public sealed record ChannelNumber(ushort Number) : StunAttribute { public override ushort Type => StunAttributeType.ChannelNumber; }
    public sealed record DontFragment : StunAttribute { public override ushort Type => StunAttributeType.DontFragment; }
    /// <summary>Any other attribute, kept as raw bytes.</summary>
    public sealed record Unknown(ushort RawType, Bytes Value) : StunAttribute { public override ushort Type => RawType; }
}


