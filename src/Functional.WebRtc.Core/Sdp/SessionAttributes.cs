using System.Globalization;
using System.Text;
using LanguageExt;
using static Functional.WebRtc.Core.Sdp.SdpTokens;

namespace Functional.WebRtc.Core.Sdp;

/// <summary>Media direction attributes (RFC 8866 section 6.7).</summary>
public enum SdpDirection { SendRecv, SendOnly, RecvOnly, Inactive }

/// <summary>The DTLS <c>a=setup</c> role (RFC 4145 section 4, RFC 8842).</summary>
public enum SdpSetup { ActPass, Active, Passive, HoldConn }

/// <summary>Names and parsing of the enum-valued attributes.</summary>
public static class SdpEnums
{
    public static string ToSdp(this SdpDirection d) => d switch
    {
        SdpDirection.SendRecv => "sendrecv",
        SdpDirection.SendOnly => "sendonly",
        SdpDirection.RecvOnly => "recvonly",
        _ => "inactive",
    };

    public static Option<SdpDirection> ParseDirection(ReadOnlySpan<char> s) => s switch
    {
        "sendrecv" => SdpDirection.SendRecv,
        "sendonly" => SdpDirection.SendOnly,
        "recvonly" => SdpDirection.RecvOnly,
        "inactive" => SdpDirection.Inactive,
        _ => Option<SdpDirection>.None,
    };

    /// <summary>The direction seen from the other side (sendonly becomes recvonly), as JSEP answers do.</summary>
    public static SdpDirection Reverse(this SdpDirection d) => d switch
    {
        SdpDirection.SendOnly => SdpDirection.RecvOnly,
        SdpDirection.RecvOnly => SdpDirection.SendOnly,
        _ => d,
    };

    public static bool Sends(this SdpDirection d) => d is SdpDirection.SendRecv or SdpDirection.SendOnly;
    public static bool Receives(this SdpDirection d) => d is SdpDirection.SendRecv or SdpDirection.RecvOnly;

    public static string ToSdp(this SdpSetup s) => s switch
    {
        SdpSetup.ActPass => "actpass",
        SdpSetup.Active => "active",
        SdpSetup.Passive => "passive",
        _ => "holdconn",
    };

    public static Either<RtcError, SdpSetup> ParseSetup(ReadOnlySpan<char> s) => s.Trim(' ') switch
    {
        "actpass" => SdpSetup.ActPass,
        "active" => SdpSetup.Active,
        "passive" => SdpSetup.Passive,
        "holdconn" => SdpSetup.HoldConn,
        _ => Error("setup", "expected actpass, active, passive or holdconn"),
    };
}

/// <summary><c>a=group:&lt;semantics&gt; *(SP identification-tag)</c> (RFC 5888, BUNDLE in RFC 9143).</summary>
public sealed record SdpGroup(string Semantics, Arr<string> Mids)
{
    public const string AttributeName = "group";
    public const string Bundle = "BUNDLE";
    public const string LipSync = "LS";
    public const string FlowIdentification = "FID";

    public SdpGroup(string semantics, params string[] mids) : this(semantics, Arr.create(mids)) { }

    public bool IsBundle => Semantics == Bundle;

    public static Either<RtcError, SdpGroup> Parse(SdpText value)
    {
        var rest = value.Span;
        var semantics = Next(ref rest);
        if (!IsToken(semantics)) return Error(AttributeName, "missing semantics");
        return new SdpGroup(semantics.ToString(), Arr.create(Split(rest).ToArray()));
    }

    public override string ToString() => Mids.IsEmpty ? Semantics : Semantics + " " + string.Join(" ", Mids);
    public SdpAttribute ToAttribute() => new(AttributeName, ToString());
}

/// <summary><c>a=fingerprint:&lt;hash-func&gt; &lt;fingerprint&gt;</c> (RFC 8122 section 5): the hash of the DTLS certificate.</summary>
public sealed record Fingerprint(string Algorithm, Arr<byte> Bytes)
{
    public const string AttributeName = "fingerprint";

    public Fingerprint(string algorithm, byte[] bytes) : this(algorithm, Arr.create((byte[])bytes.Clone())) { }

    /// <summary>Expected digest sizes of the hash functions RFC 8122 names (unknown ones are not checked).</summary>
    public static Option<int> DigestLength(string algorithm) => algorithm.ToLowerInvariant() switch
    {
        "md2" or "md5" => 16,
        "sha-1" => 20,
        "sha-224" => 28,
        "sha-256" => 32,
        "sha-384" => 48,
        "sha-512" => 64,
        _ => Option<int>.None,
    };

    public static Either<RtcError, Fingerprint> Parse(SdpText value)
    {
        var rest = value.Span;
        var algorithm = Next(ref rest);
        if (!IsToken(algorithm)) return Error(AttributeName, "missing hash function");
        var hex = Next(ref rest);
        if (hex.IsEmpty) return Error(AttributeName, "missing fingerprint");
        if (!Next(ref rest).IsEmpty) return Error(AttributeName, "unexpected text after the fingerprint");
        // fingerprint = 2UHEX *(":" 2UHEX); lower case is accepted too, as browsers do.
        if ((hex.Length + 1) % 3 != 0) return Error(AttributeName, "fingerprint must be hex byte pairs separated by ':'");
        var bytes = new byte[(hex.Length + 1) / 3];
        for (var i = 0; i < bytes.Length; i++)
        {
            var pair = hex.Slice(i * 3, 2);
            if (i > 0 && hex[i * 3 - 1] != ':') return Error(AttributeName, "fingerprint bytes must be separated by ':'");
            if (!byte.TryParse(pair, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out bytes[i]) || !char.IsAsciiHexDigit(pair[0]))
                return Error(AttributeName, "fingerprint has a non-hex byte");
        }
        var alg = algorithm.ToString();
        foreach (var expected in DigestLength(alg))
            if (expected != bytes.Length) return Error(AttributeName, $"{alg} fingerprint must have {expected} bytes, not {bytes.Length}");
        return new Fingerprint(alg, Arr.create(bytes));
    }

    /// <summary>True when both name the same hash function (case-insensitively, RFC 8122) and the same bytes.</summary>
    public bool Matches(Fingerprint other) =>
        string.Equals(Algorithm, other.Algorithm, StringComparison.OrdinalIgnoreCase) && Bytes.SequenceEqual(other.Bytes);

    /// <summary>Compares two fingerprint attribute values as fingerprints (hex case and hash-name case ignored).</summary>
    public static bool Matches(SdpText a, SdpText b) =>
        Parse(a).Match(x => Parse(b).Match(x.Matches, _ => false), _ => false);

    /// <summary>Upper-case hex pairs separated by colons, e.g. <c>AB:CD:...</c>.</summary>
    public string Hex
    {
        get
        {
            var b = new StringBuilder(Bytes.Count * 3);
            foreach (var x in Bytes)
            {
                if (b.Length > 0) b.Append(':');
                b.Append(x.ToString("X2", CultureInfo.InvariantCulture));
            }
            return b.ToString();
        }
    }

    public override string ToString() => Algorithm + " " + Hex;
    public SdpAttribute ToAttribute() => new(AttributeName, ToString());
}

/// <summary><c>a=msid-semantic:&lt;semantic&gt; *(SP identifier)</c> (the WMS line browsers write; Chrome puts a space after the colon).</summary>
public sealed record MsidSemantic(string Semantic, Arr<string> Identifiers)
{
    public const string AttributeName = "msid-semantic";

    public static Either<RtcError, MsidSemantic> Parse(SdpText value)
    {
        var rest = value.Span;
        var semantic = Next(ref rest);
        if (!IsToken(semantic)) return Error(AttributeName, "missing semantic");
        return new MsidSemantic(semantic.ToString(), Arr.create(Split(rest).ToArray()));
    }

    public override string ToString() => Identifiers.IsEmpty ? Semantic : Semantic + " " + string.Join(" ", Identifiers);
    public SdpAttribute ToAttribute() => new(AttributeName, ToString());
}
