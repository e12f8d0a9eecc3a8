#include "access/field_view.h"

namespace warden::access {

FieldView FieldView::For(const RoleSet& roles, const EffectivePolicy& policy,
                         std::string_view collection) {
  FieldView view;
  bool reads = false;
  for (Role r : roles.ToVector()) {
    if (RoleAllows(r, Operation::kLookup) || r == Role::kService) reads = true;
    if (RoleAllows(r, Operation::kReveal)) view.reveal_all_ = true;
  }
  if (!reads) return view;  // duty roles: nothing at all
  view.default_ = FieldDisposition::kMasked;
  if (roles.Has(Role::kService)) {
    std::string prefix(collection);
    prefix += '.';
    for (const std::string& qualified : policy.clear_fields) {
      if (qualified.starts_with(prefix)) view.clear_.insert(qualified.substr(prefix.size()));
    }
  }
  return view;
}

FieldDisposition FieldView::Disposition(std::string_view field) const {
  if (default_ == FieldDisposition::kHidden) return FieldDisposition::kHidden;
  if (clear_.contains(field)) return FieldDisposition::kClear;
  return default_;
}

nlohmann::json FieldView::Present(const schema::CollectionSchema& collection,
                                  const schema::Record& record) const {
  nlohmann::json out = nlohmann::json::object();
  if (default_ == FieldDisposition::kHidden) return out;
  const schema::Record masked = schema::MaskRecord(collection, record);
  for (const schema::FieldSchema& field : collection.fields) {
    auto it = record.find(field.name);
    if (it == record.end()) continue;
    switch (Disposition(field.name)) {
      case FieldDisposition::kClear:
        out[field.name] = *it;
        break;
      case FieldDisposition::kMasked:
        if (auto m = masked.find(field.name); m != masked.end()) out[field.name] = *m;
        break;
      case FieldDisposition::kHidden:
        break;
    }
  }
  return out;
}

bool FieldView::CanReveal(std::string_view field) const {
  return reveal_all_ && Disposition(field) == FieldDisposition::kMasked;
}

}  // namespace warden::access
