using System.Globalization;
using LanguageExt;

namespace Functional.WebRtc.Core.Sdp;

/// <summary>Small helpers the typed attribute parsers share: tokens split on spaces, numbers, errors.</summary>
internal static class SdpTokens
{
    public static RtcError Error(string attribute, string what) => new RtcError.Syntax($"a={attribute}: {what}");

    /// <summary>The next space-separated token, advancing <paramref name="rest"/>; empty when none is left.</summary>
    public static ReadOnlySpan<char> Next(ref ReadOnlySpan<char> rest)
    {
        rest = rest.TrimStart(' ');
        var space = rest.IndexOf(' ');
        ReadOnlySpan<char> token;
        if (space < 0) { token = rest; rest = default; }
        else { token = rest[..space]; rest = rest[(space + 1)..]; }
        return token;
    }

    public static List<string> Split(ReadOnlySpan<char> text)
    {
        var list = new List<string>();
        var rest = text;
        while (true)
        {
            var t = Next(ref rest);
            if (t.IsEmpty) return list;
            list.Add(t.ToString());
        }
    }

    public static bool Digits(ReadOnlySpan<char> s)
    {
        if (s.IsEmpty) return false;
        foreach (var c in s)
            if ((uint)(c - '0') > 9) return false;
        return true;
    }

    public static bool TryInt(ReadOnlySpan<char> s, int min, int max, out int value)
    {
        // 1 to 10 ASCII digits (at most 9,999,999,999: no overflow of a long), then the range.
        value = 0;
        if (s.IsEmpty || s.Length > 10) return false;
        long v = 0;
        foreach (var c in s)
        {
            var d = (uint)(c - '0');
            if (d > 9) return false;
            v = v * 10 + d;
        }
        if (v < min || v > max) return false;
        value = (int)v;
        return true;
    }

    public static bool TryUInt32(ReadOnlySpan<char> s, out uint value)
    {
        value = 0;
        return Digits(s) && s.Length <= 10 && uint.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    public static bool TryUInt64(ReadOnlySpan<char> s, out ulong value)
    {
        value = 0;
        return Digits(s) && s.Length <= 20 && ulong.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>token = 1*(any visible ASCII except the RFC 8866 separators); used for names and identifiers.</summary>
    public static bool IsToken(ReadOnlySpan<char> s)
    {
        if (s.IsEmpty) return false;
        foreach (var c in s)
            if (c <= ' ' || c >= 0x7F) return false;
        return true;
    }

    public static string Str(int n) => n.ToString(CultureInfo.InvariantCulture);
    public static string Str(uint n) => n.ToString(CultureInfo.InvariantCulture);
    public static string Str(ulong n) => n.ToString(CultureInfo.InvariantCulture);

    /// <summary>The value of an option of a struct, without the enumerator allocation a foreach over Option costs.</summary>
    public static bool TryGet<T>(this Option<T> option, out T value) where T : struct
    {
        value = option.IfNone(default(T));
        return option.IsSome;
    }

    public static Option<T> ToOption<T>(Either<RtcError, T> e) => e.Match(Right: Option<T>.Some, Left: _ => Option<T>.None);
}

/// <summary>A <c>name[=value]</c> parameter of an fmtp or rid line, in order.</summary>
public sealed record SdpParameter(string Name, Option<string> Value)
{
    public SdpParameter(string name, string value) : this(name, Option<string>.Some(value)) { }
    public override string ToString() => Value.Match(v => $"{Name}={v}", () => Name);

    /// <summary>Splits <c>a=1;b=2; c</c> into parameters (spaces around them are ignored).</summary>
    public static Arr<SdpParameter> ParseList(ReadOnlySpan<char> text)
    {
        var list = new List<SdpParameter>();
        foreach (var range in text.Split(';'))
        {
            var part = text[range].Trim(' ');
            if (part.IsEmpty) continue;
            var eq = part.IndexOf('=');
            list.Add(eq < 0
                ? new SdpParameter(part.ToString(), Option<string>.None)
                : new SdpParameter(part[..eq].Trim(' ').ToString(), part[(eq + 1)..].Trim(' ').ToString()));
        }
        return Arr.create(list.ToArray());
    }

    public static string FormatList(IEnumerable<SdpParameter> parameters) => string.Join(";", parameters.Select(p => p.ToString()));
}
