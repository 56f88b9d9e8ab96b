using LanguageExt;

namespace Functional.WebRtc.Core.Sdp;

/// <summary>
/// An SDP attribute line (RFC 8866 section 5.13): <c>a=name</c> (a property attribute, <see cref="HasValue"/> false)
/// or <c>a=name:value</c> (a value attribute; the value may be empty).
/// </summary>
public readonly struct SdpAttribute : IEquatable<SdpAttribute>
{
    public SdpAttribute(SdpText name, SdpText value = default)
    {
        Name = name;
        Value = value;
    }

    public SdpText Name { get; }
    /// <summary>The value after the colon; <c>default</c> (IsNull) for a property attribute.</summary>
    public SdpText Value { get; }
    public bool HasValue => !Value.IsNull;
    /// <summary>The value if the attribute has one.</summary>
    public Option<SdpText> OptionalValue => Value.IsNull ? Option<SdpText>.None : Option<SdpText>.Some(Value);

    public bool Is(ReadOnlySpan<char> name) => Name.Equals(name);

    public void Deconstruct(out SdpText name, out SdpText value) { name = Name; value = Value; }

    public bool Equals(SdpAttribute other) =>
        Name.Equals(other.Name) && Value.IsNull == other.Value.IsNull && Value.Equals(other.Value);
    public override bool Equals(object? obj) => obj is SdpAttribute a && Equals(a);
    public override int GetHashCode() => HashCode.Combine(Name, Value, Value.IsNull);
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
        foreach (var a in attributes)
            if (a.Name.Equals(name)) return a;
        return Option<SdpAttribute>.None;
    }

    public static bool Has(Arr<SdpAttribute> attributes, ReadOnlySpan<char> name)
    {
        foreach (var a in attributes)
            if (a.Name.Equals(name)) return true;
        return false;
    }

    public static Seq<SdpAttribute> All(Arr<SdpAttribute> attributes, string name)
    {
        var list = new List<SdpAttribute>();
        foreach (var a in attributes)
            if (a.Name.Equals(name)) list.Add(a);
        return list.ToSeq();
    }

    /// <summary>The values of every attribute with this name, in order (property attributes give an empty text).</summary>
    public static Seq<SdpText> Values(Arr<SdpAttribute> attributes, string name)
    {
        var list = new List<SdpText>();
        foreach (var a in attributes)
            if (a.Name.Equals(name)) list.Add(a.Value.IsNull ? SdpText.Empty : a.Value);
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
