using System.Reflection;
using FsCheck;
using Microsoft.FSharp.Core;
using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Functional.WebRtc.Testing;

/// <summary>
/// Marks a method as an FsCheck property run by xunit, so a property reads like a fact:
/// <c>[Property] public bool RoundTrips(Model m) => Parse(Print(m)) == m;</c>
/// The method's parameters are generated (with the <see cref="Arbitrary"/> types registered); it may return
/// bool, FsCheck.Property, or void (passing unless it throws).
/// </summary>
[XunitTestCaseDiscoverer("Functional.WebRtc.Testing.PropertyDiscoverer", "Functional.WebRtc.Testing")]
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class PropertyAttribute : FactAttribute
{
    /// <summary>How many generated cases to run (FsCheck's MaxTest).</summary>
    public int MaxTest { get; set; } = 100;
    /// <summary>The largest size generators are asked for.</summary>
    public int EndSize { get; set; } = 100;
    /// <summary>Classes with static methods returning Arbitrary&lt;T&gt; to register.</summary>
    public Type[] Arbitrary { get; set; } = [];
    /// <summary>"seed,gamma" to replay a failing run exactly (FsCheck prints it on failure).</summary>
    public string? Replay { get; set; }
}

public sealed class PropertyDiscoverer(IMessageSink diagnostics) : IXunitTestCaseDiscoverer
{
    public IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions options, ITestMethod testMethod, IAttributeInfo attribute)
    {
        yield return new PropertyTestCase(diagnostics, options.MethodDisplayOrDefault(), options.MethodDisplayOptionsOrDefault(), testMethod);
    }
}

public sealed class PropertyTestCase : XunitTestCase
{
    [Obsolete("Called by the de-serializer; should only be called by deriving classes for de-serialization purposes")]
    public PropertyTestCase() { }

    public PropertyTestCase(IMessageSink diagnostics, TestMethodDisplay display, TestMethodDisplayOptions displayOptions, ITestMethod method)
        : base(diagnostics, display, displayOptions, method) { }

    public override async Task<RunSummary> RunAsync(IMessageSink diagnosticMessageSink, IMessageBus messageBus, object[] constructorArguments,
        ExceptionAggregator aggregator, CancellationTokenSource cancellationTokenSource)
    {
        var test = new XunitTest(this, DisplayName);
        var summary = new RunSummary { Total = 1 };
        if (!messageBus.QueueMessage(new TestStarting(test))) { cancellationTokenSource.Cancel(); return summary; }
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Exception? failure = null;
        if (!string.IsNullOrEmpty(SkipReason))
        {
            summary.Skipped = 1;
            messageBus.QueueMessage(new TestSkipped(test, SkipReason));
            messageBus.QueueMessage(new TestFinished(test, 0, ""));
            return summary;
        }
        object? instance = null;
        try
        {
            var method = TestMethod.Method.ToRuntimeMethod();
            var type = TestMethod.TestClass.Class.ToRuntimeType();
            if (!method.IsStatic) instance = Activator.CreateInstance(type, constructorArguments);
            var attr = method.GetCustomAttribute<PropertyAttribute>()!;
            var config = Config.QuickThrowOnFailure
                .WithMaxTest(attr.MaxTest)
                .WithEndSize(attr.EndSize)
                .WithQuietOnSuccess(true)
                .WithArbitrary(attr.Arbitrary);
            if (attr.Replay is { } replay)
            {
                var parts = replay.Trim('(', ')').Split(',');
                var rnd = new Rnd(ulong.Parse(parts[0].Trim()), ulong.Parse(parts[1].Trim()));
                config = config.WithReplay(FSharpOption<FsCheck.Replay>.Some(new FsCheck.Replay(rnd, FSharpOption<int>.None)));
            }
            await Task.Run(() => Check.Method(config, method, instance is null ? FSharpOption<object>.None : FSharpOption<object>.Some(instance)));
        }
        catch (Exception e)
        {
            failure = e is TargetInvocationException { InnerException: { } inner } ? inner : e;
        }
        finally
        {
            (instance as IDisposable)?.Dispose();
        }
        var seconds = (decimal)clock.Elapsed.TotalSeconds;
        if (failure is null) messageBus.QueueMessage(new TestPassed(test, seconds, ""));
        else { summary.Failed = 1; messageBus.QueueMessage(new TestFailed(test, seconds, "", failure)); }
        messageBus.QueueMessage(new TestFinished(test, seconds, ""));
        summary.Time = seconds;
        return summary;
    }
}
