"""Operations: backup and restore of a whole Pingan installation (DESIGN §9)."""
