using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;

namespace Functional.WebRtc.Tests.Examples;

/// <summary>
/// An example running as a user runs it (its own web server on 127.0.0.1, a free port) and one headless Chromium whose
/// pages open it; disposing stops both, each within a bound. For the browser tests of the examples that need several
/// pages or calls between the steps (ExampleTests runs a single page).
/// </summary>
internal sealed class ExampleHost : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop;
    private readonly Task _example;
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    private ExampleHost(CancellationTokenSource stop, Task example, Uri url, ExampleLog log)
    {
        _stop = stop;
        _example = example;
        Url = url;
        Log = log;
    }

    public Uri Url { get; }
    public ExampleLog Log { get; }

    /// <summary>Starts the example (it must call its listening callback within 30 s) and the browser.</summary>
    public static async Task<ExampleHost> StartAsync(Func<TextWriter, Action<Uri>, CancellationToken, Task> run)
    {
        var log = new ExampleLog();
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var stop = new CancellationTokenSource();
        var example = Task.Run(() => run(log, url => listening.TrySetResult(url), stop.Token));
        var host = new ExampleHost(stop, example, new Uri("http://127.0.0.1/"), log);
        try
        {
            await Task.WhenAny(listening.Task, example).WaitAsync(TimeSpan.FromSeconds(30));
            if (!listening.Task.IsCompleted) { await example; throw new InvalidOperationException("the example ended before listening"); }
            host = new ExampleHost(stop, example, await listening.Task, log);
            Assert.Equal("127.0.0.1", host.Url.Host);
            host._playwright = await Playwright.CreateAsync();
            host._browser = await Interop.BrowserPeer.LaunchBrowserAsync(host._playwright).WaitAsync(TimeSpan.FromSeconds(30));
            return host;
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    /// <summary>A new page of the browser on the example's address plus <paramref name="query"/>.</summary>
    public async Task<IPage> OpenAsync(string query = "")
    {
        var page = await _browser!.NewPageAsync();
        await page.GotoAsync(Url + query, new PageGotoOptions { Timeout = 15_000 });
        return page;
    }

    /// <summary>Polls <paramref name="probe"/> every 200 ms until <paramref name="done"/> holds; throws after <paramref name="within"/>.</summary>
    public static async Task<T> PollAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan within, string what)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            var value = await probe().WaitAsync(within);
            if (done(value)) return value;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{what}: still {Show(value)} after {within.TotalSeconds} s");
            await Task.Delay(200);
        }
    }

    private static string Show<T>(T value) => value is JsonElement e ? e.GetRawText() : value?.ToString() ?? "null";

    /// <summary>Stops the example (it must end within 20 s of its cancellation, without an exception) and closes the browser.</summary>
    public async Task StopAsync()
    {
        await CloseBrowserAsync();
        await _stop.CancelAsync();
        Assert.True(await Task.WhenAny(_example, Task.Delay(TimeSpan.FromSeconds(20))) == _example, "the example did not stop within 20 s");
        await _example;
    }

    private async Task CloseBrowserAsync()
    {
        if (_browser is { } browser)
        {
            _browser = null;
            try { await browser.CloseAsync().WaitAsync(TimeSpan.FromSeconds(20)); }
            catch (Exception) { /* hung: Playwright kills it on dispose */ }
            await browser.DisposeAsync();
        }
        _playwright?.Dispose();
        _playwright = null;
    }

    public async ValueTask DisposeAsync()
    {
        await CloseBrowserAsync();
        await _stop.CancelAsync();
        await Task.WhenAny(_example, Task.Delay(TimeSpan.FromSeconds(20)));
        _stop.Dispose();
    }
}

/// <summary>A log the example writes from any thread and the test reads: one entry per line.</summary>
internal sealed class ExampleLog : TextWriter
{
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly StringBuilder _partial = new();
    public override Encoding Encoding => Encoding.UTF8;
    public IReadOnlyList<string> Lines => _lines.ToArray();

    public override void Write(char value)
    {
        lock (_partial)
        {
            if (value == '\n') { _lines.Enqueue(_partial.ToString().TrimEnd('\r')); _partial.Clear(); }
            else _partial.Append(value);
        }
    }

    public override void WriteLine(string? value)
    {
        lock (_partial)
        {
            _lines.Enqueue(_partial.Append(value).ToString());
            _partial.Clear();
        }
    }

    public override string ToString() => string.Join("\n", Lines);
}
