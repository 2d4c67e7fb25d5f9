import { useEffect } from 'react';
import { Loading } from '../../components/common';
import { useApp } from '../../hooks';
import { ProfileView } from './profile-view';

/** GET /api/profile: progression, currencies, lifetime stats, inventory and activity. */
export function ProfileScreen() {
  const profile = useApp((s) => s.profile);
  const fetchProfile = useApp((s) => s.fetchProfile);
  useEffect(() => {
    void fetchProfile();
  }, [fetchProfile]);

  if (!profile.data) return <Loading />;
  return (
    <div className="stack" data-testid="profile">
      <ProfileView profile={profile.data} />
    </div>
  );
}
