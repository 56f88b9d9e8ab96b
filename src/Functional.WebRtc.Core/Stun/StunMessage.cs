using System.Buffers.Binary;
using System.Net;
using System.Text;
using LanguageExt;
using static LanguageExt.Prelude;

namespace Functional.WebRtc.Core.Stun;

/// <summary>
/// A STUN message (RFC 8489 section 5): class, method, transaction id and attributes in order.
/// <see cref="UnknownComprehensionRequired"/> lists comprehension-required attribute types the parser did not understand
/// (a request carrying any must be answered with 420 and UNKNOWN-ATTRIBUTES, RFC 8489 6.3.1.1).
/// </summary>
public sealed record StunMessage(StunClass Class, StunMethod Method, TransactionId TransactionId, Seq<StunAttribute> Attributes)
{
    public const uint MagicCookie = 0x2112A442;
    public const int HeaderLength = 20;

    public Seq<ushort> UnknownComprehensionRequired { get; init; } = Seq<ushort>();

    public static StunMessage Create(StunClass cls, StunMethod method, TransactionId id, params StunAttribute[] attributes) =>
        new(cls, method, id, attributes.ToSeq());

    public StunMessage With(StunAttribute attribute) => this with { Attributes = Attributes.Add(attribute) };

    /// <summary>The first attribute of type <typeparamref name="T"/>, or null.</summary>
    public T? Get<T>() where T : StunAttribute
    {
        foreach (var a in Attributes) if (a is T t) return t;
        return null;
    }

    public bool Has<T>() where T : StunAttribute => Get<T>() is not null;

    /// <summary>Quick test (RFC 7983 / RFC 8489 section 6): top two bits zero, the magic cookie, a 4-aligned length that fits.</summary>
    public static bool IsStun(ReadOnlySpan<byte> datagram) =>
        datagram.Length >= HeaderLength && (datagram[0] & 0xC0) == 0 &&
        BinaryPrimitives.ReadUInt32BigEndian(datagram[4..]) == MagicCookie &&
        BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]) + HeaderLength == datagram.Length &&
        (datagram[3] & 3) == 0;

    internal static ushort EncodeType(StunClass cls, StunMethod method)
    {
        var m = (int)method; var c = (int)cls;
        return (ushort)((m & 0x000F) | ((m & 0x0070) << 1) | ((m & 0x0F80) << 2) | ((c & 1) << 4) | ((c & 2) << 7));
    }

    internal static (StunClass, StunMethod) DecodeType(ushort t) =>
        ((StunClass)(((t >> 4) & 1) | ((t >> 7) & 2)), (StunMethod)((t & 0x000F) | ((t >> 1) & 0x0070) | ((t >> 2) & 0x0F80)));

    public static Either<RtcError, StunMessage> Parse(ReadOnlySpan<byte> data) =>
        TryParse(data, out var m, out var e) ? Right<RtcError, StunMessage>(m) : Left<RtcError, StunMessage>(e);

    /// <summary>Parses one datagram. Never throws: malformed input gives a <see cref="RtcError.Syntax"/> with the byte offset.</summary>
    public static bool TryParse(ReadOnlySpan<byte> data, out StunMessage message, out RtcError error)
    {
        message = null!;
        error = null!;
        if (data.Length < HeaderLength) return Fail(out error, "STUN message shorter than the 20-byte header", 0);
        var type = BinaryPrimitives.ReadUInt16BigEndian(data);
        if ((type & 0xC000) != 0) return Fail(out error, "STUN message type has the top two bits set", 0);
        var length = BinaryPrimitives.ReadUInt16BigEndian(data[2..]);
        if ((length & 3) != 0) return Fail(out error, "STUN message length is not a multiple of 4", 2);
        if (length + HeaderLength != data.Length) return Fail(out error, $"STUN message length {length} does not match the datagram ({data.Length - HeaderLength} bytes after the header)", 2);
        if (BinaryPrimitives.ReadUInt32BigEndian(data[4..]) != MagicCookie) return Fail(out error, "STUN magic cookie missing", 4);
        var (cls, method) = DecodeType(type);
        var txid = TransactionId.Read(data.Slice(8, 12));
        var attributes = new List<StunAttribute>(8);
        List<ushort>? unknown = null;
        var offset = HeaderLength;
        var afterIntegrity = false;
        while (offset < data.Length)
        {
            if (data.Length - offset < 4) return Fail(out error, "truncated attribute header", offset);
            var at = BinaryPrimitives.ReadUInt16BigEndian(data[offset..]);
            var al = BinaryPrimitives.ReadUInt16BigEndian(data[(offset + 2)..]);
            var padded = (al + 3) & ~3;
            if (data.Length - offset - 4 < padded) return Fail(out error, $"attribute 0x{at:x4} length {al} runs past the message", offset);
            var value = data.Slice(offset + 4, al);
            // RFC 8489 14.5/14.7: after MESSAGE-INTEGRITY only MESSAGE-INTEGRITY-SHA256 and FINGERPRINT count; after FINGERPRINT nothing.
            var skip = afterIntegrity && at != StunAttributeType.Fingerprint && at != StunAttributeType.MessageIntegritySha256;
            if (!skip)
            {
                if (!TryParseAttribute(at, value, txid, out var attribute, out var reason))
                    return Fail(out error, $"attribute 0x{at:x4}: {reason}", offset);
                if (attribute is StunAttribute.Unknown && StunAttributeType.IsComprehensionRequired(at)) (unknown ??= new()).Add(at);
                attributes.Add(attribute);
                if (at is StunAttributeType.MessageIntegrity or StunAttributeType.MessageIntegritySha256) afterIntegrity = true;
                if (at == StunAttributeType.Fingerprint) break;
            }
            offset += 4 + padded;
        }
        message = new StunMessage(cls, method, txid, attributes.ToSeq())
        {
            UnknownComprehensionRequired = unknown is null ? Seq<ushort>() : unknown.ToSeq(),
        };
        return true;
    }

    private static bool Fail(out RtcError error, string message, int offset)
    {
        error = new RtcError.Syntax(message, 0, offset);
        return false;
    }

    private static bool TryParseAttribute(ushort type, ReadOnlySpan<byte> v, TransactionId txid, out StunAttribute attribute, out string reason)
    {
        attribute = null!;
        reason = "";
        switch (type)
        {
            case StunAttributeType.MappedAddress:
                if (!TryReadAddress(v, false, txid, out var ep, out reason)) return false;
                attribute = new StunAttribute.MappedAddress(ep); return true;
            case StunAttributeType.XorMappedAddress:
                if (!TryReadAddress(v, true, txid, out ep, out reason)) return false;
                attribute = new StunAttribute.XorMappedAddress(ep); return true;
            case StunAttributeType.XorPeerAddress:
                if (!TryReadAddress(v, true, txid, out ep, out reason)) return false;
                attribute = new StunAttribute.XorPeerAddress(ep); return true;
            case StunAttributeType.XorRelayedAddress:
                if (!TryReadAddress(v, true, txid, out ep, out reason)) return false;
                attribute = new StunAttribute.XorRelayedAddress(ep); return true;
            case StunAttributeType.Username:
                if (!TryText(v, 513, out var s, out reason)) return false;
                attribute = new StunAttribute.Username(s); return true;
            case StunAttributeType.Realm:
                if (!TryText(v, 763, out s, out reason)) return false;
                attribute = new StunAttribute.Realm(s); return true;
            case StunAttributeType.Nonce:
                if (!TryText(v, 763, out s, out reason)) return false;
                attribute = new StunAttribute.Nonce(s); return true;
            case StunAttributeType.Software:
                if (!TryText(v, 763, out s, out reason)) return false;
                attribute = new StunAttribute.Software(s); return true;
            case StunAttributeType.MessageIntegrity:
                if (v.Length != 20) { reason = "MESSAGE-INTEGRITY must be 20 bytes"; return false; }
                attribute = new StunAttribute.MessageIntegrity(new Bytes(v)); return true;
            case StunAttributeType.MessageIntegritySha256:
                if (v.Length < 16 || v.Length > 32 || (v.Length & 3) != 0) { reason = "MESSAGE-INTEGRITY-SHA256 must be 16..32 bytes, a multiple of 4"; return false; }
                attribute = new StunAttribute.MessageIntegritySha256(new Bytes(v)); return true;
            case StunAttributeType.Fingerprint:
                if (v.Length != 4) { reason = "FINGERPRINT must be 4 bytes"; return false; }
                attribute = new StunAttribute.Fingerprint(BinaryPrimitives.ReadUInt32BigEndian(v)); return true;
            case StunAttributeType.ErrorCode:
                if (v.Length < 4) { reason = "ERROR-CODE shorter than 4 bytes"; return false; }
                var code = (v[2] & 7) * 100 + v[3];
                if (code < 300 || code > 699 || v[3] > 99) { reason = $"ERROR-CODE {code} out of range"; return false; }
                if (!TryText(v[4..], 763, out s, out reason)) return false;
                attribute = new StunAttribute.ErrorCode(code, s); return true;
            case StunAttributeType.UnknownAttributes:
                if ((v.Length & 1) != 0) { reason = "UNKNOWN-ATTRIBUTES length is odd"; return false; }
                var types = new ushort[v.Length / 2];
                for (var i = 0; i < types.Length; i++) types[i] = BinaryPrimitives.ReadUInt16BigEndian(v[(2 * i)..]);
                attribute = new StunAttribute.UnknownAttributes(types.ToSeq()); return true;
            case StunAttributeType.Priority:
                if (v.Length != 4) { reason = "PRIORITY must be 4 bytes"; return false; }
                attribute = new StunAttribute.Priority(BinaryPrimitives.ReadUInt32BigEndian(v)); return true;
            case StunAttributeType.UseCandidate:
                if (v.Length != 0) { reason = "USE-CANDIDATE must be empty"; return false; }
                attribute = new StunAttribute.UseCandidate(); return true;
            case StunAttributeType.IceControlled:
                if (v.Length != 8) { reason = "ICE-CONTROLLED must be 8 bytes"; return false; }
                attribute = new StunAttribute.IceControlled(BinaryPrimitives.ReadUInt64BigEndian(v)); return true;
            case StunAttributeType.IceControlling:
                if (v.Length != 8) { reason = "ICE-CONTROLLING must be 8 bytes"; return false; }
                attribute = new StunAttribute.IceControlling(BinaryPrimitives.ReadUInt64BigEndian(v)); return true;
            case StunAttributeType.Lifetime:
                if (v.Length != 4) { reason = "LIFETIME must be 4 bytes"; return false; }
                attribute = new StunAttribute.Lifetime(BinaryPrimitives.ReadUInt32BigEndian(v)); return true;
            case StunAttributeType.Data:
                attribute = new StunAttribute.Data(new Bytes(v)); return true;
            case StunAttributeType.RequestedTransport:
                if (v.Length != 4) { reason = "REQUESTED-TRANSPORT must be 4 bytes"; return false; }
                attribute = new StunAttribute.RequestedTransport(v[0]); return true;
            case StunAttributeType.ChannelNumber:
                if (v.Length != 4) { reason = "CHANNEL-NUMBER must be 4 bytes"; return false; }
                attribute = new StunAttribute.ChannelNumber(BinaryPrimitives.ReadUInt16BigEndian(v)); return true;
            case StunAttributeType.DontFragment:
                if (v.Length != 0) { reason = "DONT-FRAGMENT must be empty"; return false; }
                attribute = new StunAttribute.DontFragment(); return true;
            default:
                attribute = new StunAttribute.Unknown(type, new Bytes(v)); return true;
        }
    }

    private static bool TryText(ReadOnlySpan<byte> v, int max, out string s, out string reason)
    {
        s = "";
        reason = "";
        if (v.Length > max) { reason = $"text longer than {max} bytes"; return false; }
        try { s = new UTF8Encoding(false, true).GetString(v); }
        catch (ArgumentException) { reason = "text is not valid UTF-8"; return false; }
        return true;
    }

    private static bool TryReadAddress(ReadOnlySpan<byte> v, bool xor, TransactionId txid, out IPEndPoint ep, out string reason)
    {
        ep = null!;
        reason = "";
        if (v.Length < 4) { reason = "address shorter than 4 bytes"; return false; }
        var family = v[1];
        var port = BinaryPrimitives.ReadUInt16BigEndian(v[2..]);
        if (xor) port ^= (ushort)(MagicCookie >> 16);
        Span<byte> addr = stackalloc byte[16];
        int n;
        if (family == 1 && v.Length == 8) n = 4;
        else if (family == 2 && v.Length == 20) n = 16;
        else { reason = $"address family {family} with length {v.Length}"; return false; }
        v.Slice(4, n).CopyTo(addr);
        if (xor) XorAddress(addr[..n], txid);
        ep = new IPEndPoint(new IPAddress(addr[..n]), port);
        return true;
    }

    /// <summary>X-Address: xor with the magic cookie (IPv4) or the cookie and transaction id (IPv6), RFC 8489 14.2.</summary>
    private static void XorAddress(Span<byte> addr, TransactionId txid)
    {
        Span<byte> mask = stackalloc byte[16];
        BinaryPrimitives.WriteUInt32BigEndian(mask, MagicCookie);
        txid.Write(mask[4..]);
        for (var i = 0; i < addr.Length; i++) addr[i] ^= mask[i];
    }

    // ---------------------------------------------------------------- writing

    /// <summary>
    /// Encodes the message; with a non-empty <paramref name="integrityKey"/> appends MESSAGE-INTEGRITY (HMAC-SHA1), and with
    /// <paramref name="fingerprint"/> appends FINGERPRINT, each computed with the header length set as RFC 8489 14.5/14.7 require.
    /// Any MESSAGE-INTEGRITY/FINGERPRINT already in <see cref="Attributes"/> are left out.
    /// </summary>
    public byte[] Encode(ReadOnlySpan<byte> integrityKey = default, bool fingerprint = false)
    {
        var buffer = new byte[EncodedLength(!integrityKey.IsEmpty, fingerprint)];
        WriteTo(buffer, integrityKey, fingerprint);
        return buffer;
    }

    /// <summary>
    /// Encodes with MESSAGE-INTEGRITY-SHA256 (full 32 bytes) instead of MESSAGE-INTEGRITY, then FINGERPRINT if asked
    /// (RFC 8489 14.6); with <paramref name="alsoSha1"/> MESSAGE-INTEGRITY comes first, for peers that only know SHA-1.
    /// </summary>
    public byte[] EncodeSha256(ReadOnlySpan<byte> integrityKey, bool fingerprint = false, bool alsoSha1 = false)
    {
        var length = EncodedLength(alsoSha1, fingerprint) + 36;
        var buffer = new byte[length];
        var offset = WriteTo(buffer, alsoSha1 ? integrityKey : default, fingerprint: false);
        offset = StunIntegrity.AppendMessageIntegritySha256(buffer, offset, integrityKey);
        if (fingerprint) offset = StunIntegrity.AppendFingerprint(buffer, offset);
        BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(2), (ushort)(offset - HeaderLength));
        return buffer;
    }

    public int EncodedLength(bool integrity, bool fingerprint)
    {
        var n = HeaderLength;
        foreach (var a in Attributes)
            if (!IsTrailer(a)) n += 4 + ((ValueLength(a) + 3) & ~3);
        if (integrity) n += 24;
        if (fingerprint) n += 8;
        return n;
    }

    private static bool IsTrailer(StunAttribute a) =>
        a is StunAttribute.MessageIntegrity or StunAttribute.Fingerprint or StunAttribute.MessageIntegritySha256;

    /// <summary>Writes the message into <paramref name="destination"/> and returns the byte count.</summary>
    public int WriteTo(Span<byte> destination, ReadOnlySpan<byte> integrityKey = default, bool fingerprint = false)
    {
        var d = destination;
        BinaryPrimitives.WriteUInt16BigEndian(d, EncodeType(Class, Method));
        BinaryPrimitives.WriteUInt32BigEndian(d[4..], MagicCookie);
        TransactionId.Write(d.Slice(8, 12));
        var offset = HeaderLength;
        foreach (var a in Attributes)
        {
            if (IsTrailer(a)) continue;
            var len = ValueLength(a);
            BinaryPrimitives.WriteUInt16BigEndian(d[offset..], a.Type);
            BinaryPrimitives.WriteUInt16BigEndian(d[(offset + 2)..], (ushort)len);
            WriteValue(a, d.Slice(offset + 4, len));
            var padded = (len + 3) & ~3;
            d.Slice(offset + 4 + len, padded - len).Clear();
            offset += 4 + padded;
        }
        if (!integrityKey.IsEmpty) offset = StunIntegrity.AppendMessageIntegrity(d, offset, integrityKey);
        if (fingerprint) offset = StunIntegrity.AppendFingerprint(d, offset);
        BinaryPrimitives.WriteUInt16BigEndian(d[2..], (ushort)(offset - HeaderLength));
        return offset;
    }

    private static int ValueLength(StunAttribute a) => a switch
    {
        StunAttribute.MappedAddress m => AddressLength(m.EndPoint),
        StunAttribute.XorMappedAddress m => AddressLength(m.EndPoint),
        StunAttribute.XorPeerAddress m => AddressLength(m.EndPoint),
        StunAttribute.XorRelayedAddress m => AddressLength(m.EndPoint),
        StunAttribute.Username s => Encoding.UTF8.GetByteCount(s.Value),
        StunAttribute.Realm s => Encoding.UTF8.GetByteCount(s.Value),
        StunAttribute.Nonce s => Encoding.UTF8.GetByteCount(s.Value),
        StunAttribute.Software s => Encoding.UTF8.GetByteCount(s.Value),
        StunAttribute.MessageIntegrity m => m.Hmac.Length,
        StunAttribute.MessageIntegritySha256 m => m.Hmac.Length,
        StunAttribute.Fingerprint => 4,
        StunAttribute.ErrorCode e => 4 + Encoding.UTF8.GetByteCount(e.Reason),
        StunAttribute.UnknownAttributes u => 2 * u.Types.Count,
        StunAttribute.Priority => 4,
        StunAttribute.UseCandidate => 0,
        StunAttribute.IceControlled => 8,
        StunAttribute.IceControlling => 8,
        StunAttribute.Lifetime => 4,
        StunAttribute.Data x => x.Value.Length,
        StunAttribute.RequestedTransport => 4,
        StunAttribute.ChannelNumber => 4,
        StunAttribute.DontFragment => 0,
        StunAttribute.Unknown u => u.Value.Length,
        _ => 0,
    };

    private static int AddressLength(IPEndPoint ep) => ep.AddressFamily == IPAddress.IPv6Any.AddressFamily ? 20 : 8;

    private void WriteValue(StunAttribute a, Span<byte> v)
    {
        switch (a)
        {
            case StunAttribute.MappedAddress m: WriteAddress(v, m.EndPoint, false); break;
            case StunAttribute.XorMappedAddress m: WriteAddress(v, m.EndPoint, true); break;
            case StunAttribute.XorPeerAddress m: WriteAddress(v, m.EndPoint, true); break;
            case StunAttribute.XorRelayedAddress m: WriteAddress(v, m.EndPoint, true); break;
            case StunAttribute.Username s: Encoding.UTF8.GetBytes(s.Value, v); break;
            case StunAttribute.Realm s: Encoding.UTF8.GetBytes(s.Value, v); break;
            case StunAttribute.Nonce s: Encoding.UTF8.GetBytes(s.Value, v); break;
            case StunAttribute.Software s: Encoding.UTF8.GetBytes(s.Value, v); break;
            case StunAttribute.MessageIntegrity m: m.Hmac.Span.CopyTo(v); break;
            case StunAttribute.MessageIntegritySha256 m: m.Hmac.Span.CopyTo(v); break;
            case StunAttribute.Fingerprint f: BinaryPrimitives.WriteUInt32BigEndian(v, f.Value); break;
            case StunAttribute.ErrorCode e:
                v[0] = 0; v[1] = 0; v[2] = (byte)(e.Code / 100); v[3] = (byte)(e.Code % 100);
                Encoding.UTF8.GetBytes(e.Reason, v[4..]);
                break;
            case StunAttribute.UnknownAttributes u:
                var i = 0;
                foreach (var t in u.Types) { BinaryPrimitives.WriteUInt16BigEndian(v[i..], t); i += 2; }
                break;
            case StunAttribute.Priority p: BinaryPrimitives.WriteUInt32BigEndian(v, p.Value); break;
            case StunAttribute.IceControlled c: BinaryPrimitives.WriteUInt64BigEndian(v, c.TieBreaker); break;
            case StunAttribute.IceControlling c: BinaryPrimitives.WriteUInt64BigEndian(v, c.TieBreaker); break;
            case StunAttribute.Lifetime l: BinaryPrimitives.WriteUInt32BigEndian(v, l.Seconds); break;
            case StunAttribute.Data x: x.Value.Span.CopyTo(v); break;
            case StunAttribute.RequestedTransport r: v[0] = r.Protocol; v[1] = v[2] = v[3] = 0; break;
            case StunAttribute.ChannelNumber c: BinaryPrimitives.WriteUInt16BigEndian(v, c.Number); v[2] = v[3] = 0; break;
            case StunAttribute.Unknown u: u.Value.Span.CopyTo(v); break;
        }
    }

    private void WriteAddress(Span<byte> v, IPEndPoint ep, bool xor)
    {
        var n = v.Length - 4;
        v[0] = 0;
        v[1] = (byte)(n == 4 ? 1 : 2);
        var port = (ushort)ep.Port;
        if (xor) port ^= (ushort)(MagicCookie >> 16);
        BinaryPrimitives.WriteUInt16BigEndian(v[2..], port);
        ep.Address.TryWriteBytes(v[4..], out _);
        if (xor) XorAddress(v[4..], TransactionId);
    }
}
