using Functional.WebRtc.Core;
using LanguageExt;

namespace Functional.WebRtc.Tests.Dtls;

internal static class DtlsTestHelpers
{
    /// <summary>The Right value, or a test failure naming the error.</summary>
    public static T Ok<T>(this Either<RtcError, T> e) => e.Match(Right: r => r, Left: l => throw new Xunit.Sdk.XunitException($"expected success, got {l}"));

    /// <summary>The Left value, or a test failure.</summary>
    public static RtcError Err<T>(this Either<RtcError, T> e) => e.Match(Right: r => throw new Xunit.Sdk.XunitException($"expected an error, got {r}"), Left: l => l);

    public static bool WaitAll(TimeSpan timeout, params Task[] tasks)
    {
        try { return Task.WaitAll(tasks, timeout); }
        catch (AggregateException) { return false; }
    }
}
