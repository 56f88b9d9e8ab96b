using System.Text.Json;
using System.Text.Json.Serialization;

namespace Functional.WebRtc;

/// <summary>The type of a session description (W3C RTCSdpType). Unknown is the zero value and is invalid.</summary>
[JsonConverter(typeof(SdpTypeJsonConverter))]
public enum SdpType
{
    Unknown = 0,
    Offer,
    Pranswer,
    Answer,
    Rollback,
}

public static class SdpTypes
{
    /// <summary>Parses the browser's string ("offer", "pranswer", "answer", "rollback"); anything else is Unknown.</summary>
    public static SdpType Parse(string? text) => text switch
    {
        "offer" => SdpType.Offer,
        "pranswer" => SdpType.Pranswer,
        "answer" => SdpType.Answer,
        "rollback" => SdpType.Rollback,
        _ => SdpType.Unknown,
    };

    /// <summary>The browser's string for the type; Unknown prints as "unknown" (as Pion does).</summary>
    public static string ToText(this SdpType type) => type switch
    {
        SdpType.Offer => "offer",
        SdpType.Pranswer => "pranswer",
        SdpType.Answer => "answer",
        SdpType.Rollback => "rollback",
        _ => "unknown",
    };
}

internal sealed class SdpTypeJsonConverter : JsonConverter<SdpType>
{
    public override SdpType Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String ? SdpTypes.Parse(reader.GetString()) : throw new JsonException("type must be a string");

    public override void Write(Utf8JsonWriter writer, SdpType value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToText());
}
