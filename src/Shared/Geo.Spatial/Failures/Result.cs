using System.Diagnostics.CodeAnalysis;

namespace Geo.Spatial.Failures;

/// <summary>
/// A value or the complete list of failures that prevented it. Validation collects every problem at once (an import
/// reports all its errors, not the first), so the failure side is a list, never empty when <see cref="IsOk"/> is false.
/// </summary>
public readonly struct Result<T>
{
    private readonly T? _value;
    private readonly IReadOnlyList<Failure>? _failures;

    private Result(T? value, IReadOnlyList<Failure>? failures)
    {
        _value = value;
        _failures = failures;
    }

    public static Result<T> Ok(T value) => new(value, null);

    public static Result<T> Fail(Failure failure) => new(default, [failure]);

    public static Result<T> Fail(IReadOnlyList<Failure> failures) =>
        failures.Count == 0 ? throw new ArgumentException("A failed result needs at least one failure.", nameof(failures)) : new(default, failures);

    public static implicit operator Result<T>(T value) => Ok(value);

    public static implicit operator Result<T>(Failure failure) => Fail(failure);

    [MemberNotNullWhen(true, nameof(Value))]
    public bool IsOk => _failures is null;

    /// <summary>The value; throws when the result failed (a bug in the caller, not an expected failure).</summary>
    public T Value => _failures is null ? _value! : throw new InvalidOperationException($"Result failed: {_failures[0]}");

    public IReadOnlyList<Failure> Failures => _failures ?? [];

    /// <summary>The first failure; convenient where only one can occur.</summary>
    public Failure Failure => _failures is { Count: > 0 } f ? f[0] : throw new InvalidOperationException("Result is ok.");

    public bool TryGetValue([NotNullWhen(true)] out T? value, out IReadOnlyList<Failure> failures)
    {
        value = _value;
        failures = _failures ?? [];
        return _failures is null;
    }

    public Result<TOut> Map<TOut>(Func<T, TOut> map) => IsOk ? Result<TOut>.Ok(map(Value)) : Result<TOut>.Fail(Failures);

    public Result<TOut> Bind<TOut>(Func<T, Result<TOut>> bind) => IsOk ? bind(Value) : Result<TOut>.Fail(Failures);
}
