namespace ShardKit.IntegrationTests.Migration;

/// <summary>Thrown from a migrator step hook to stop it there, as <c>kill -9</c> would.</summary>
public sealed class SimulatedCrashException : Exception
{
    public SimulatedCrashException()
    {
    }

    public SimulatedCrashException(string step)
        : base($"simulated crash at {step}")
    {
    }

    public SimulatedCrashException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
