using LanguageExt;

namespace Functional.WebRtc.Core.Ice;

internal static class IceCollections
{
    public static T? FirstOrNull<T>(this Seq<T> seq, Func<T, bool> predicate) where T : class
    {
        foreach (var x in seq) if (predicate(x)) return x;
        return null;
    }

    public static bool TryGet<TKey, TValue>(this HashMap<TKey, TValue> map, TKey key, out TValue value)
    {
        var found = map.Find(key);
        value = found.IfNoneUnsafe(default(TValue)!);
        return found.IsSome;
    }
}
