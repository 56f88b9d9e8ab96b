using System.Net;
using System.Text;
using LanguageExt;
using static Functional.WebRtc.Core.Sdp.SdpTokens;

namespace Functional.WebRtc.Core.Sdp;

/// <summary>cand-type (RFC 8839 section 5.1).</summary>
public enum CandidateType { Host, Srflx, Prflx, Relay }

/// <summary>tcp-type (RFC 6544 section 4.5).</summary>
public enum CandidateTcpType { Active, Passive, So }

/// <summary>
/// An ICE candidate attribute (RFC 8839 section 5.1):
/// <c>foundation component transport priority connection-address port typ cand-type [raddr a rport p] *(extension-att-name SP extension-att-value)</c>.
/// The known extensions (tcptype, generation, ufrag, network-id, network-cost) are typed; unknown ones are kept in order.
/// <see cref="ToString"/> gives the attribute value (after <c>a=candidate:</c>); <see cref="CandidateString"/> gives the
/// <c>candidate:...</c> form of RTCIceCandidate.candidate.
/// </summary>
public sealed record CandidateAttribute(
    string Foundation,
    int Component,
    string Transport,
    uint Priority,
    string Address,
    int Port,
    CandidateType Type)
{
    public const string AttributeName = "candidate";

    public Option<string> RelatedAddress { get; init; }
    public Option<int> RelatedPort { get; init; }
    public Option<CandidateTcpType> TcpType { get; init; }
    public Option<uint> Generation { get; init; }
    public Option<string> Ufrag { get; init; }
    public Option<uint> NetworkId { get; init; }
    public Option<uint> NetworkCost { get; init; }
    /// <summary>Extensions this type does not know, as (name, value) in their order.</summary>
    public Arr<(string Name, string Value)> Extensions { get; init; }

    public bool IsUdp => Transport.Equals("udp", StringComparison.OrdinalIgnoreCase);
    public bool IsTcp => Transport.Equals("tcp", StringComparison.OrdinalIgnoreCase);
    /// <summary>An mDNS name (RFC 8839 / draft-ietf-mmusic-mdns-ice-candidates), e.g. <c>xxxx.local</c>.</summary>
    public bool IsMdns => Address.EndsWith(".local", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Parses a candidate given as <c>a=candidate:...</c>, <c>candidate:...</c> or just the attribute value.
    /// </summary>
    public static Either<RtcError, CandidateAttribute> Parse(string text)
    {
        if (text is null) return Error(AttributeName, "null");
        var s = text.AsSpan().Trim();
        if (s.StartsWith("a=")) s = s[2..];
        if (s.StartsWith("candidate:", StringComparison.OrdinalIgnoreCase)) s = s["candidate:".Length..];
        return ParseValue(s);
    }

    public static Either<RtcError, CandidateAttribute> Parse(SdpText value) => ParseValue(value.Span);

    private static Either<RtcError, CandidateAttribute> ParseValue(ReadOnlySpan<char> s)
    {
        // An attribute value is one line of SDP text: control characters (a CR or LF inside, NUL) make it malformed.
        foreach (var ch in s)
            if (char.IsControl(ch)) return Error(AttributeName, "control character in the candidate");
        var rest = s;
        var foundation = Next(ref rest);
        // foundation = 1*32 ice-char (ALPHA / DIGIT / "+" / "/")
        if (foundation.IsEmpty || foundation.Length > 32 || !IsIceChars(foundation)) return Error(AttributeName, "invalid foundation");
        if (!TryInt(Next(ref rest), 1, 256, out var component)) return Error(AttributeName, "invalid component id");
        var transport = Next(ref rest);
        if (!IsToken(transport)) return Error(AttributeName, "missing transport");
        if (!TryUInt32(Next(ref rest), out var priority)) return Error(AttributeName, "invalid priority");
        var address = Next(ref rest);
        if (!IsConnectionAddress(address)) return Error(AttributeName, "invalid connection address");
        if (!TryInt(Next(ref rest), 0, 65535, out var port)) return Error(AttributeName, "invalid port");
        if (!Next(ref rest).SequenceEqual("typ")) return Error(AttributeName, "expected 'typ'");
        if (!TryCandidateType(Next(ref rest), out var type)) return Error(AttributeName, "invalid candidate type");

        var c = new CandidateAttribute(foundation.ToString(), component, transport.ToString(), priority, address.ToString(), port, type);
        Option<string> raddr = default;
        Option<int> rport = default;
        Option<CandidateTcpType> tcpType = default;
        Option<uint> generation = default, networkId = default, networkCost = default;
        Option<string> ufrag = default;
        List<(string, string)>? extensions = null;
        while (true)
        {
            var name = Next(ref rest);
            if (name.IsEmpty) break;
            var value = Next(ref rest);
            if (value.IsEmpty) return Error(AttributeName, $"'{name.ToString()}' has no value");
            switch (name)
            {
                case "raddr" when raddr.IsNone && extensions is null:
                    if (!IsConnectionAddress(value)) return Error(AttributeName, "invalid raddr");
                    raddr = value.ToString();
                    break;
                case "rport" when rport.IsNone && extensions is null:
                    if (!TryInt(value, 0, 65535, out var rp)) return Error(AttributeName, "invalid rport");
                    rport = rp;
                    break;
                case "tcptype" when tcpType.IsNone:
                    tcpType = value switch
                    {
                        "active" => CandidateTcpType.Active,
                        "passive" => CandidateTcpType.Passive,
                        "so" => CandidateTcpType.So,
                        _ => Option<CandidateTcpType>.None,
                    };
                    if (tcpType.IsNone) return Error(AttributeName, "invalid tcptype");
                    break;
                case "generation" when generation.IsNone:
                    if (!TryUInt32(value, out var g)) return Error(AttributeName, "invalid generation");
                    generation = g;
                    break;
                case "ufrag" when ufrag.IsNone:
                    ufrag = value.ToString();
                    break;
                case "network-id" when networkId.IsNone:
                    if (!TryUInt32(value, out var nid)) return Error(AttributeName, "invalid network-id");
                    networkId = nid;
                    break;
                case "network-cost" when networkCost.IsNone:
                    if (!TryUInt32(value, out var cost)) return Error(AttributeName, "invalid network-cost");
                    networkCost = cost;
                    break;
                default:
                    (extensions ??= new()).Add((name.ToString(), value.ToString()));
                    break;
            }
        }
        return c with
        {
            RelatedAddress = raddr,
            RelatedPort = rport,
            TcpType = tcpType,
            Generation = generation,
            Ufrag = ufrag,
            NetworkId = networkId,
            NetworkCost = networkCost,
            Extensions = extensions is null ? Arr<(string, string)>.Empty : Arr.create(extensions.ToArray()),
        };
    }

    /// <summary>The attribute value, known extensions in the order browsers write them, then unknown ones.</summary>
    public override string ToString()
    {
        var b = new StringBuilder(128);
        b.Append(Foundation).Append(' ').Append(Str(Component)).Append(' ').Append(Transport).Append(' ')
            .Append(Str(Priority)).Append(' ').Append(Address).Append(' ').Append(Str(Port)).Append(" typ ").Append(TypeName(Type));
        foreach (var a in RelatedAddress) b.Append(" raddr ").Append(a);
        foreach (var p in RelatedPort) b.Append(" rport ").Append(Str(p));
        foreach (var t in TcpType) b.Append(" tcptype ").Append(TcpTypeName(t));
        foreach (var g in Generation) b.Append(" generation ").Append(Str(g));
        foreach (var u in Ufrag) b.Append(" ufrag ").Append(u);
        foreach (var n in NetworkId) b.Append(" network-id ").Append(Str(n));
        foreach (var n in NetworkCost) b.Append(" network-cost ").Append(Str(n));
        foreach (var (name, value) in Extensions) b.Append(' ').Append(name).Append(' ').Append(value);
        return b.ToString();
    }

    /// <summary>The <c>candidate:...</c> string of RTCIceCandidate.candidate.</summary>
    public string CandidateString => "candidate:" + ToString();

    public SdpAttribute ToAttribute() => new(AttributeName, ToString());

    public static string TypeName(CandidateType t) => t switch
    {
        CandidateType.Host => "host",
        CandidateType.Srflx => "srflx",
        CandidateType.Prflx => "prflx",
        _ => "relay",
    };

    public static string TcpTypeName(CandidateTcpType t) => t switch
    {
        CandidateTcpType.Active => "active",
        CandidateTcpType.Passive => "passive",
        _ => "so",
    };

    private static bool TryCandidateType(ReadOnlySpan<char> s, out CandidateType type)
    {
        switch (s)
        {
            case "host": type = CandidateType.Host; return true;
            case "srflx": type = CandidateType.Srflx; return true;
            case "prflx": type = CandidateType.Prflx; return true;
            case "relay": type = CandidateType.Relay; return true;
            default: type = default; return false;
        }
    }

    private static bool IsIceChars(ReadOnlySpan<char> s)
    {
        foreach (var c in s)
            if (!(char.IsAsciiLetterOrDigit(c) || c == '+' || c == '/')) return false;
        return true;
    }

    /// <summary>connection-address: an IPv4 or IPv6 address, or an FQDN (which includes mDNS names).</summary>
    private static bool IsConnectionAddress(ReadOnlySpan<char> s)
    {
        if (s.IsEmpty || s.Length > 255) return false;
        if (s.Contains(':')) return IPAddress.TryParse(s, out var a) && a.AddressFamily == IPAddress.IPv6Any.AddressFamily;
        foreach (var c in s)
            if (!(char.IsAsciiLetterOrDigit(c) || c == '.' || c == '-' || c == '_')) return false;
        return true;
    }
}
