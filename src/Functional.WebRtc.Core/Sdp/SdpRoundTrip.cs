namespace Functional.WebRtc.Core.Sdp;

/// <summary>
/// When is <c>SdpParser.Parse(SdpWriter.Write(model))</c> the model itself? For the descriptions JSEP writes (session
/// fields fixed, m-sections of tokens, attribute lines), exactly when every written line parses back to the same fields:
/// no line break or other control character inside a field, no space or tab the parser trims at a line end, no empty
/// token, no ':' in an attribute name, and the parser's size limits kept. This check is conservative: anything else
/// (other session lines, repeat times, bandwidths, ...) answers false, and the caller parses the text as before.
/// </summary>
internal static class SdpRoundTrip
{
    // Control characters other than the CR and LF of line ends (which are counted instead), and DEL.
    private static readonly System.Buffers.SearchValues<char> OtherControls = System.Buffers.SearchValues.Create(
        "\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u0009\u000B\u000C\u000E\u000F" +
        "\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001A\u001B\u001C\u001D\u001E\u001F\u007F");

    public static bool ParsesBackTo(SdpDescription model, string text)
    {
        if (text.Length > SdpParser.MaxLength) return false;
        if (model.Version != 0 || model.Information.IsSome || model.Uri.IsSome || !model.Emails.IsEmpty || !model.Phones.IsEmpty ||
            model.Connection.IsSome || !model.Bandwidths.IsEmpty || model.ZoneAdjustments.IsSome || model.EncryptionKey.IsSome)
            return false;
        if (model.Timings.Count != 1 || model.Timings[0] is not { Start: 0, Stop: 0 } timing || !timing.Repeats.IsEmpty) return false;
        var o = model.Origin;
        if (!IsToken(o.Username) || !IsToken(o.NetType) || !IsToken(o.AddrType) || !IsToken(o.Address)) return false;
        if (!IsToken(model.SessionName)) return false;
        if (!AttributesParseBack(model.Attributes)) return false;
        // v= o= s= t=, the session attributes, then per section its m= line, c= line and attributes.
        var lines = 4 + model.Attributes.Count;
        foreach (var m in model.Media)
        {
            if (!IsToken(m.Media) || !IsToken(m.Protocol) || (uint)m.Port > 65535 || m.PortCount.IsSome) return false;
            if (m.Information.IsSome || !m.Bandwidths.IsEmpty || m.EncryptionKey.IsSome) return false;
            foreach (var f in m.Formats)
                if (!IsToken(f)) return false;
            foreach (var c in m.Connection)
                if (!IsToken(c.NetType) || !IsToken(c.AddrType) || !IsToken(c.Address)) return false;
            if (!AttributesParseBack(m.Attributes)) return false;
            lines += 1 + (m.Connection.IsSome ? 1 : 0) + m.Attributes.Count;
        }
        // No field holds a control character: none but CR and LF in the text, and exactly one CR and one LF per written
        // line (a CR or LF inside a field would add one).
        var span = text.AsSpan();
        if (span.ContainsAny(OtherControls) || span.Count('\n') != lines || span.Count('\r') != lines) return false;
        return lines <= SdpParser.MaxLines && (span.Length <= SdpParser.MaxLineLength || LongestLine(span) <= SdpParser.MaxLineLength);
    }

    private static int LongestLine(ReadOnlySpan<char> span)
    {
        var longest = 0;
        while (!span.IsEmpty)
        {
            var nl = span.IndexOf('\n');
            var length = nl < 0 ? span.Length : nl;
            longest = Math.Max(longest, length);
            span = nl < 0 ? default : span[(nl + 1)..];
        }
        return longest;
    }

    private static bool AttributesParseBack(LanguageExt.Arr<SdpAttribute> attributes)
    {
        for (var i = 0; i < attributes.Count; i++)
        {
            var a = attributes[i];
            var name = a.Name.Span;
            // The parser reads the name up to the first ':' and trims spaces and tabs at the end of a line.
            if (name.IsEmpty || name.Contains(':')) return false;
            if (!a.HasValue) { if (EndsWithBlank(name)) return false; continue; }
            if (EndsWithBlank(a.Value.Span)) return false;
        }
        return true;
    }

    /// <summary>A non-empty field with no space or control character (what the parser's NextToken gives back unchanged).</summary>
    private static bool IsToken(SdpText t)
    {
        var s = t.Span;
        if (s.IsEmpty) return false;
        foreach (var c in s)
            if (c <= ' ' || c == '\u007F') return false;
        return true;
    }

    private static bool EndsWithBlank(ReadOnlySpan<char> s) => !s.IsEmpty && s[^1] is ' ' or '\t';
}
