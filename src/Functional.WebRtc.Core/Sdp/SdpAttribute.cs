using LanguageExt;

namespace Functional.WebRtc.Core.Sdp;

/// <summary>
/// An SDP attribute line (RFC 8866 section 5.13): <c>a=name</c> (a property attribute, <see cref="HasValue"/> false)
/// or <c>a=name:value</c> (a value attribute; the value may be empty).
/// </summary>
public readonly struct SdpAttribute : IEquatable<SdpAttribute>
{
    // One string and offsets (24 bytes): the parser points into the description text, so an attribute costs no allocation;
    // built from two separate strings, the name and value are joined once as "name:value".
    private readonly string? source;
    private readonly int start;
    private readonly int nameLength;
    private readonly int valueLength; // -1: a property attribute (no value)

    public SdpAttribute(SdpText name, SdpText value = default)
    {
        if (value.IsNull)
        {
            source = name.Source ?? string.Empty;
            start = name.Start;
            nameLength = name.Length;
            valueLength = -1;
        }
        else if (name.Source is { } ns && ReferenceEquals(ns, value.Source) && value.Start == name.Start + name.Length + 1)
        {
            source = ns;
            start = name.Start;
            nameLength = name.Length;
            valueLength = value.Length;
        }
        else
        {
            source = string.Concat(name.Span, ":", value.Span);
            start = 0;
            nameLength = name.Length;
            valueLength = value.Length;
        }
    }

    /// <summary>For the parser: <paramref name="text"/>[start..] holds the name, then ':' and the value when valueLength &gt;= 0.</summary>
    internal SdpAttribute(string text, int start, int nameLength, int valueLength)
    {
        source = text;
        this.start = start;
        this.nameLength = nameLength;
        this.valueLength = valueLength;
    }

    public SdpText Name => source is null ? SdpText.Empty : new SdpText(source, start, nameLength, true);
    /// <summary>The value after the colon; <c>default</c> (IsNull) for a property attribute.</summary>
    public SdpText Value => valueLength < 0 || source is null ? default : new SdpText(source, start + nameLength + 1, valueLength, true);
    public bool HasValue => valueLength >= 0 && source is not null;
    /// <summary>The value if the attribute has one.</summary>
    public Option<SdpText> OptionalValue => Value.IsNull ? Option<SdpText>.None : Option<SdpText>.Some(Value);

    public bool Is(ReadOnlySpan<char> name) => Name.Equals(name);

    /// <summary>
    /// The line's text after <c>a=</c> (<c>name</c> or <c>name:value</c>) when it is one slice of the source (as the parser
    /// and the two-string constructor make it); false when name and value are apart.
    /// </summary>
    internal bool TryGetLineText(out ReadOnlySpan<char> text)
    {
        text = default;
        if (source is null) return valueLength < 0;
        if (valueLength < 0) { text = source.AsSpan(start, nameLength); return true; }
        if (source[start + nameLength] != ':') return false;
        text = source.AsSpan(start, nameLength + 1 + valueLength);
        return true;
    }

    public void Deconstruct(out SdpText name, out SdpText value) { name = Name; value = Value; }

    public bool Equals(SdpAttribute other) =>
        HasValue == other.HasValue && Name.Equals(other.Name) && Value.Equals(other.Value);
    public override bool Equals(object? obj) => obj is SdpAttribute a && Equals(a);
    public override int GetHashCode() => HashCode.Combine(Name, Value, HasValue);
    public static bool operator ==(SdpAttribute a, SdpAttribute b) => a.Equals(b);
    public static bool operator !=(SdpAttribute a, SdpAttribute b) => !a.Equals(b);

    /// <summary>The text after <c>a=</c>: <c>name</c> or <c>name:value</c>.</summary>
    public override string ToString() => Value.IsNull ? Name.ToString() : string.Concat(Name.Span, ":", Value.Span);
}

/// <summary>Pure helpers over an attribute list (shared by the session and media levels).</summary>
public static class SdpAttributeList
{
    public static Option<SdpAttribute> First(Arr<SdpAttribute> attributes, ReadOnlySpan<char> name)
    {
        for (var i_a = 0; i_a < attributes.Count; i_a++)
        {
            var a = attributes[i_a];
            if (a.Name.Equals(name)) return a;
        }
        return Option<SdpAttribute>.None;
    }

    public static bool Has(Arr<SdpAttribute> attributes, ReadOnlySpan<char> name)
    {
        for (var i_a = 0; i_a < attributes.Count; i_a++)
        {
            var a = attributes[i_a];
            if (a.Name.Equals(name)) return true;
        }
        return false;
    }

    public static Seq<SdpAttribute> All(Arr<SdpAttribute> attributes, string name)
    {
        var list = new List<SdpAttribute>();
        for (var i_a = 0; i_a < attributes.Count; i_a++)
        {
            var a = attributes[i_a];
            if (a.Name.Equals(name)) list.Add(a);
        }
        return list.ToSeq();
    }

    /// <summary>The values of every attribute with this name, in order (property attributes give an empty text).</summary>
    public static Seq<SdpText> Values(Arr<SdpAttribute> attributes, string name)
    {
        var list = new List<SdpText>();
        for (var i_a = 0; i_a < attributes.Count; i_a++)
        {
            var a = attributes[i_a];
            if (a.Name.Equals(name)) list.Add(a.Value.IsNull ? SdpText.Empty : a.Value);
        }
        return list.ToSeq();
    }

    public static Arr<SdpAttribute> Append(Arr<SdpAttribute> attributes, SdpAttribute attribute) => attributes.Add(attribute);

    public static Arr<SdpAttribute> Remove(Arr<SdpAttribute> attributes, string name) =>
        Has(attributes, name) ? Arr.createRange(attributes.Filter(a => !a.Name.Equals(name))) : attributes;

    public static Arr<SdpAttribute> RemoveWhere(Arr<SdpAttribute> attributes, Func<SdpAttribute, bool> predicate) =>
        Arr.createRange(attributes.Filter(a => !predicate(a)));

    /// <summary>
    /// Replaces the first attribute named like <paramref name="attribute"/> (keeping its position) and removes the others
    /// with that name; appends it when there is none.
    /// </summary>
    public static Arr<SdpAttribute> Set(Arr<SdpAttribute> attributes, SdpAttribute attribute)
    {
        var result = new List<SdpAttribute>(attributes.Count + 1);
        var placed = false;
        foreach (var a in attributes)
        {
            if (!a.Name.Equals(attribute.Name)) { result.Add(a); continue; }
            if (!placed) { result.Add(attribute); placed = true; }
        }
        if (!placed) result.Add(attribute);
        return Arr.create(result.ToArray());
    }
}
