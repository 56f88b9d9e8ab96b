using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Functional.WebRtc.Runtime;

/// <summary>
/// Runs user callbacks in order on their own queue, never on a connection's loop, so user code can neither block
/// nor re-enter the loop. A throwing handler is logged and does not stop the queue. No thread exists while idle.
/// </summary>
internal sealed class CallbackDispatcher
{
    private readonly Channel<Action> _queue = Channel.CreateUnbounded<Action>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ILogger _log;
    private readonly Task _pump;

    public CallbackDispatcher(ILogger log)
    {
        _log = log;
        _pump = Task.Run(PumpAsync);
    }

    public void Post(Action callback) => _queue.Writer.TryWrite(callback);

    /// <summary>Stops taking callbacks; those already queued still run. Completes when the queue is drained.</summary>
    public Task CompleteAsync()
    {
        _queue.Writer.TryComplete();
        return _pump;
    }

    /// <summary>True when the calling code runs inside a callback of this dispatcher.</summary>
    public bool IsCurrent => _current.Value == this;
    private static readonly AsyncLocal<CallbackDispatcher?> _current = new();

    private async Task PumpAsync()
    {
        _current.Value = this;
        await foreach (var callback in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try { callback(); }
            catch (Exception e) { _log.LogError(e, "a user callback threw"); }
        }
    }
}
