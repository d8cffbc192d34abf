"""WTForms forms, fields and validators shared by the screens."""
