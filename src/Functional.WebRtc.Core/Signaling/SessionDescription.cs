using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Functional.WebRtc.Core;
using Functional.WebRtc.Core.Sdp;
using LanguageExt;

namespace Functional.WebRtc;

/// <summary>
/// A session description as the browser's RTCSessionDescriptionInit: a type and the SDP text.
/// Serializes to and from exactly the browser's JSON, <c>{"type":"offer","sdp":"v=0\r\n..."}</c>.
/// </summary>
public sealed record SessionDescription(
    [property: JsonPropertyName("type")] SdpType Type,
    [property: JsonPropertyName("sdp")] string Sdp)
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        // JSON.stringify escapes only quotes, backslashes and control characters; so do we.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static SessionDescription Offer(string sdp) => new(SdpType.Offer, sdp);
    public static SessionDescription Answer(string sdp) => new(SdpType.Answer, sdp);
    public static SessionDescription Pranswer(string sdp) => new(SdpType.Pranswer, sdp);
    public static SessionDescription Rollback() => new(SdpType.Rollback, "");

    /// <summary>The parsed SDP (Pion's Unmarshal): the model, or the error naming the line that is wrong.</summary>
    public Either<RtcError, SdpDescription> Unmarshal() => TryUnmarshal();

    /// <summary>Parses the SDP text into its model, or the error naming the line that is wrong.</summary>
    /// <remarks>The result is kept with this (immutable) description, so the machine parses each description once.</remarks>
    public Either<RtcError, SdpDescription> TryUnmarshal()
    {
        var cached = _parsed;
        if (cached is null) _parsed = cached = new Parsed(SdpParser.Parse(Sdp));
        return cached.Result;
    }

    private sealed record Parsed(Either<RtcError, SdpDescription> Result)
    {
        // The mids of the parsed m-sections, read on first use (DescriptionIndex); not part of the value.
        public string?[]? Mids;
    }
    private Parsed? _parsed;

    /// <summary>The a=mid of each m-section of <paramref name="parsed"/>, which must be this description's parse; read once.</summary>
    internal string?[] MidsOf(SdpDescription parsed)
    {
        var p = _parsed;
        if (p is null || !(p.Result.IsRight && ReferenceEquals((SdpDescription)p.Result, parsed))) return Functional.WebRtc.Core.Signaling.DescriptionIndex.ReadMids(parsed);
        return p.Mids ??= Functional.WebRtc.Core.Signaling.DescriptionIndex.ReadMids(parsed);
    }

    /// <summary>
    /// A description we wrote from <paramref name="model"/>: the model is kept as its parse when reading
    /// <paramref name="sdp"/> back is known to give that same model (<see cref="SdpRoundTrip.ParsesBackTo"/>), so the
    /// text written by CreateOffer/CreateAnswer is not parsed again by SetLocalDescription. Otherwise it is parsed on demand.
    /// </summary>
    internal static SessionDescription Written(SdpType type, string sdp, SdpDescription model)
    {
        var d = new SessionDescription(type, sdp);
        if (SdpRoundTrip.ParsesBackTo(model, sdp)) d._parsed = new Parsed(model);
        return d;
    }

    /// <summary>
    /// This description with another type and the same text; the parse (a function of the text alone) is shared.
    /// </summary>
    internal SessionDescription WithType(SdpType type)
    {
        if (type == Type) return this;
        var d = new SessionDescription(type, Sdp) { _parsed = _parsed };
        return d;
    }

    /// <summary>
    /// When <paramref name="other"/> has the same text, takes its parse instead of parsing again (the parse is a pure
    /// function of the text). Returns whether the texts are equal.
    /// </summary>
    internal bool SharesTextWith(SessionDescription other)
    {
        if (!ReferenceEquals(Sdp, other.Sdp) && !string.Equals(Sdp, other.Sdp, StringComparison.Ordinal)) return false;
        if (_parsed is null && other._parsed is { } parsed) _parsed = parsed;
        return true;
    }

    // A copy made with `with` gets its own cache: its text may differ.
    private SessionDescription(SessionDescription original)
    {
        Type = original.Type;
        Sdp = original.Sdp;
    }

    /// <summary>Two descriptions are equal when their type and text are (the cached parse is not part of the value).</summary>
    public bool Equals(SessionDescription? other) => other is not null && Type == other.Type && Sdp == other.Sdp;
    public override int GetHashCode() => HashCode.Combine(Type, Sdp);

    /// <summary>The browser's JSON form.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Reads the browser's JSON form; a missing or unknown type gives SdpType.Unknown.</summary>
    public static Either<RtcError, SessionDescription> FromJson(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return new RtcError.Syntax("a session description must be a JSON object");
            var type = root.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? SdpTypes.Parse(t.GetString()) : SdpType.Unknown;
            var sdp = root.TryGetProperty("sdp", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() ?? "" : "";
            return new SessionDescription(type, sdp);
        }
        catch (JsonException e)
        {
            return new RtcError.Syntax($"invalid JSON: {e.Message}", (int)(e.LineNumber ?? 0));
        }
    }

    public override string ToString() => $"{Type.ToText()}: {Sdp.Length} chars";
}
