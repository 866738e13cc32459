using Geo.GridService.Codes;

namespace Geo.GridService.Departments;

/// <summary>A department (责任部门) that cases are dispatched to.</summary>
/// <param name="Code">Stable key.</param>
/// <param name="Name">Chinese name, e.g. 汝州市城市管理局.</param>
/// <param name="Contact">Contact person or duty desk, free text.</param>
/// <param name="Phone">Duty phone, free text.</param>
public sealed record Department(DepartmentCode Code, string Name, string? Contact, string? Phone);
